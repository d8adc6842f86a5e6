/**
 * max and min along rows in Wasm (row kernels: pmax/pmin accumulators that keep NaN by hand,
 * reduce-ops.ts) against eager, for every position of a NaN or an infinity in rows long enough
 * to reach each of the kernel's loops: four accumulators of four lanes, one vector, the scalar
 * tail. A NaN anywhere in a row makes its max and min NaN, and what reads them NaN too.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';
import { expectTreeClose } from '../../tracer/test/support/compare.ts';

const WIDTHS = [1, 3, 4, 7, 16, 17, 21, 35];
const TOLERANCE = { rtol: 2e-6, atol: 1e-7 };

/** Rows of `width` finite values, then one row per column with `special` in that column. */
function rowsWith(width: number, special: number): k.Tensor {
  const finite = Array.from({ length: width }, (_, j) => Math.sin(j * 1.7 + width) * 3);
  const rows = [finite, ...finite.map((_, col) => finite.map((v, j) => (j === col ? special : v)))];
  return k.tensor(rows);
}

const programs: [string, (x: k.Tensor) => k.Tensor][] = [
  ['max', (x) => k.max(x, 1)],
  ['min', (x) => k.min(x, 1, true)],
  ['x - max', (x) => k.sub(x, k.max(x, 1, true))],
  ['softmax', (x) => k.softmax(x, -1)],
  ['logSumExp', (x) => k.logSumExp(x, -1)],
];

describe('row max and min in Wasm', () => {
  for (const special of [NaN, Infinity, -Infinity]) {
    for (const [name, fn] of programs) {
      it(`${name} with ${special} in each column equals eager`, () => {
        for (const width of WIDTHS) {
          const x = rowsWith(width, special);
          expectTreeClose(k.trace(fn, { backend: 'wasm' })(x), fn(x), TOLERANCE, `width ${width}`);
        }
      });
    }
  }

  it('a NaN in any column makes exactly that row NaN (an independent reference)', () => {
    for (const width of WIDTHS) {
      const got = k
        .trace((x: k.Tensor) => k.max(x, 1), { backend: 'wasm' })(rowsWith(width, NaN))
        .toArray() as number[];
      const finite = Array.from({ length: width }, (_, j) => Math.fround(Math.sin(j * 1.7 + width) * 3));
      expect(got[0]).toBe(Math.max(...finite));
      expect(got.slice(1).every(Number.isNaN)).toBe(true);
    }
  });

  it('an all -Infinity row has max -Infinity, and equal zeros give a zero', () => {
    const traced = k.trace((x: k.Tensor) => k.max(x, 1), { backend: 'wasm' });
    const got = traced(
      k.tensor([Array<number>(17).fill(-Infinity), Array.from({ length: 17 }, (_, j) => (j % 2 ? 0 : -0))]),
    ).toArray() as number[];
    expect(got[0]).toBe(-Infinity);
    expect(got[1]).toBeCloseTo(0, 10);
  });
});
