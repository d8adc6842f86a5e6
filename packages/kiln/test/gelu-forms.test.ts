/**
 * GELU's tanh form, as the gelu op and written out as ops, which Wasm lowers as x·sigmoid(2u)
 * (codegen-wasm's select.ts): equal to eager and to the traced interpreter in every operand
 * order, where parts of the pattern are also read elsewhere, and at large, infinite and NaN x.
 * The reference is an independent f64 GELU.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';
import type { Tensor } from '../src/index.ts';
import { expectTreeClose } from '../../tracer/test/support/compare.ts';

const S = Math.sqrt(2 / Math.PI);
const C = 0.044715;
const geluF64 = (x: number): number => 0.5 * x * (1 + Math.tanh(S * (x + C * x ** 3)));

const grid = Array.from({ length: 4099 }, (_, i) => (i - 2049) / 128); // [-16, 16], odd length: a tail
const specials = [0, -0, 1e4, -1e4, 3e38, -3e38, Infinity, NaN, 1e-30, -1e-30];
const WASM = { rtol: 2e-5, atol: 2e-6 };

const inner = (x: Tensor): Tensor => k.mul(k.add(x, k.mul(k.mul(k.mul(x, x), x), C)), S);
const forms: [string, (x: Tensor) => unknown][] = [
  ['the gelu op', (x) => k.gelu(x)],
  ['written out', (x) => k.mul(k.mul(x, 0.5), k.add(k.tanh(inner(x)), 1))],
  ['written out, operands swapped', (x) => k.mul(k.add(1, k.tanh(inner(x))), k.mul(0.5, x))],
  ['written out, tanh of an unscaled sum', (x) => k.mul(k.mul(x, 0.5), k.add(k.tanh(k.add(x, k.mul(x, x))), 1))],
  [
    'written out, with the tanh and the half also returned',
    (x) => {
      const t = k.tanh(inner(x));
      const half = k.mul(x, 0.5);
      return [k.mul(half, k.add(t, 1)), t, half];
    },
  ],
];

/** The name Kiln's modules give the global holding f32x4.splat(v). */
function splatGlobal(v: number): string {
  const bytes = new Uint8Array(new Float32Array([v]).buffer);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `$v128_${hex.repeat(4)}`;
}

describe('GELU in tanh form', () => {
  beforeAll(() => k.ready());

  it('Wasm lowers the written-out form as x·sigmoid(2u), with the scale of u doubled into its cubic', () => {
    const fn = forms[1]![1] as (x: Tensor) => Tensor;
    const wat = k.trace(fn, { backend: 'wasm' }).ir({ shape: [64] }, { stage: 'wat' });
    expect(wat).toContain(splatGlobal(2 * S));
    // 2u = x·(2s + 2sc·x²), as the gelu op computes it: one operation fewer than (x + c·x³)·2s.
    expect(wat).toContain(splatGlobal(2 * S * C));
    const unselected = k.trace((x: Tensor) => k.add(k.tanh(inner(x)), 1), { backend: 'wasm' });
    expect(unselected.ir({ shape: [64] }, { stage: 'wat' })).not.toContain(splatGlobal(2 * S));
  });

  for (const [name, fn] of forms) {
    it(`${name}: Wasm and the interpreter equal eager`, () => {
      for (const values of [grid, specials]) {
        const x = k.tensor(values);
        const eager = fn(x);
        expectTreeClose(k.trace(fn, { backend: 'interpreter' })(x), eager, { rtol: 1e-6, atol: 1e-7 }, 'interpreter');
        expectTreeClose(k.trace(fn, { backend: 'wasm' })(x), eager, WASM, 'wasm');
      }
    });
  }

  it('written out, Wasm equals an f64 GELU, and -Infinity gives NaN as 0.5x(1 + tanh u) does', () => {
    const fn = forms[1]![1] as (x: Tensor) => Tensor;
    const got = k.trace(fn, { backend: 'wasm' })(k.tensor(grid)).toArray() as number[];
    grid.forEach((x, i) =>
      expect(Math.abs(got[i]! - geluF64(Math.fround(x)))).toBeLessThan(2e-6 * Math.max(1, Math.abs(x))),
    );
    const edge = k
      .trace(fn, { backend: 'wasm' })(k.tensor([-Infinity, Infinity, -20]))
      .toArray() as number[];
    expect(Number.isNaN(edge[0])).toBe(true);
    expect(edge[1]).toBe(Infinity);
    expect(Math.abs(edge[2]!)).toBeLessThan(1e-30);
  });
});
