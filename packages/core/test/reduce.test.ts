import { describe, expect, it } from '@jest/globals';
import {
  argmax,
  argmin,
  KilnArgumentError,
  KilnDTypeError,
  KilnShapeError,
  logSumExp,
  max,
  mean,
  min,
  prod,
  scalar,
  sum,
  tensor,
  zeros,
  type ReduceOp,
  type Tensor,
  type TensorLike,
} from '../src/index.ts';
import { caught, expectTensor, F32_ATOL, F32_RTOL, seededValues } from './helpers.ts';

type Axes = number | number[] | undefined;
type ReduceFn = (x: TensorLike, axes?: number | readonly number[], keepDims?: boolean) => Tensor;

/** Reduces one group of values (in row-major order over the reduced axes) in double precision. */
type GroupRef = (values: number[]) => number;

const maxRef: GroupRef = (v) => v.reduce((m, x) => (Number.isNaN(m) || x > m || Number.isNaN(x) ? x : m), -Infinity);
const minRef: GroupRef = (v) => v.reduce((m, x) => (Number.isNaN(m) || x < m || Number.isNaN(x) ? x : m), Infinity);
/** First position of the extreme value; a NaN counts as the extreme. */
const argRef =
  (better: (a: number, b: number) => boolean): GroupRef =>
  (v) => {
    let best = 0;
    for (let i = 1; i < v.length; i++) {
      if (Number.isNaN(v[best]!)) break;
      if (Number.isNaN(v[i]!) || better(v[i]!, v[best]!)) best = i;
    }
    return best;
  };

const REDUCTIONS: Record<ReduceOp | 'mean' | 'logSumExp', [ReduceFn, GroupRef]> = {
  sum: [sum, (v) => v.reduce((a, b) => a + b, 0)],
  mean: [mean, (v) => v.reduce((a, b) => a + b, 0) / v.length],
  prod: [prod, (v) => v.reduce((a, b) => a * b, 1)],
  max: [max, maxRef],
  min: [min, minRef],
  argmax: [argmax, argRef((a, b) => a > b)],
  argmin: [argmin, argRef((a, b) => a < b)],
  logSumExp: [logSumExp, (v) => Math.log(v.reduce((a, b) => a + Math.exp(b), 0))],
};

/** The reference reduction of `data` (shape `shape`) over `axes`, by explicit index walking. */
function reduceRef(
  data: number[],
  shape: number[],
  axes: Axes,
  keepDims: boolean,
  f: GroupRef,
): { shape: number[]; values: number[] } {
  const rank = shape.length;
  const list =
    axes === undefined
      ? shape.map((_, i) => i)
      : (typeof axes === 'number' ? [axes] : axes).map((a) => (a + rank) % rank);
  const reduced = new Set(list);
  const outShape = shape.flatMap((d, i) => (reduced.has(i) ? (keepDims ? [1] : []) : [d]));
  const groups = new Map<string, number[]>();
  const index = new Array<number>(rank).fill(0);
  for (let i = 0; i < data.length; i++) {
    const key = index.filter((_, d) => !reduced.has(d)).join(',');
    groups.set(key, [...(groups.get(key) ?? []), data[i]!]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return { shape: outShape, values: [...groups.values()].map(f) };
}

const SHAPE = [2, 3, 4];
const DATA = seededValues(24, 11, -3, 3);
const AXES: Axes[] = [undefined, 0, 1, 2, -1, -3, [0, 1], [0, 2], [1, 2], [2, 0], [-1, 0], [0, 1, 2]];

describe('reductions match an index-walking reference', () => {
  const ops = Object.entries(REDUCTIONS) as [string, [ReduceFn, GroupRef]][];
  const cases = ops.flatMap(([op, row]) =>
    AXES.flatMap((axes) => [false, true].map((keep) => [op, JSON.stringify(axes), keep, row, axes] as const)),
  );

  it.each(cases)('%s over axes %s keepDims=%s', (op, _label, keepDims, [fn, ref], axes) => {
    const y = fn(tensor(DATA, SHAPE), axes, keepDims);
    const expected = reduceRef(DATA, SHAPE, axes, keepDims, ref);
    expect(y.dtype).toBe(op.startsWith('arg') ? 'i32' : 'f32');
    expectTensor(y, expected.shape, expected.values, 2 * F32_RTOL, F32_ATOL);
  });
});

describe('reductions at the edges', () => {
  it('an empty axis list reduces nothing (arg ops give index 0)', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(sum(x, [])).toBe(x);
    expectTensor(
      mean(x, []),
      [2, 2],
      [
        [1, 2],
        [3, 4],
      ],
    );
    expectTensor(
      argmax(x, []),
      [2, 2],
      [
        [0, 0],
        [0, 0],
      ],
    );
  });

  it('0-d inputs reduce to themselves', () => {
    for (const [, [fn, ref]] of Object.entries(REDUCTIONS)) {
      expectTensor(fn(scalar(2.5)), [], [ref([2.5])]);
      expectTensor(fn(scalar(2.5), undefined, true), [], [ref([2.5])]);
    }
  });

  it('empty groups give the identity: sum 0, prod 1, mean NaN, logSumExp -inf', () => {
    const x = zeros([0, 3]);
    expectTensor(sum(x, 0), [3], [0, 0, 0]);
    expectTensor(prod(x, 0, true), [1, 3], [[1, 1, 1]]);
    expectTensor(mean(x, 0), [3], [NaN, NaN, NaN]);
    expectTensor(logSumExp(x, 0), [3], [-Infinity, -Infinity, -Infinity]);
    expectTensor(sum(x), [], [0]);
  });

  it('max, min, argmax and argmin have no identity for an empty group', () => {
    for (const fn of [max, min, argmax, argmin]) {
      const err = caught(() => fn(zeros([0, 3]), 0));
      expect(err).toBeInstanceOf(KilnShapeError);
      expect(err.detail).toMatch(/: cannot reduce f32\[0,3\] over an empty axis \(it has no identity\)$/);
    }
    // Reducing a non-empty axis of an empty tensor is fine: there are no groups.
    expect(max(zeros([0, 3]), 1).shape).toEqual([0]);
    expect(argmin(zeros([0, 3]), 1).shape).toEqual([0]);
  });

  it('NaN propagates through sum, max and min, and wins argmax/argmin', () => {
    const x = tensor([
      [1, NaN, 3],
      [4, 5, 6],
    ]);
    expectTensor(sum(x, 1), [2], [NaN, 15]);
    expectTensor(max(x, 1), [2], [NaN, 6]);
    expectTensor(min(x, 1), [2], [NaN, 4]);
    expectTensor(max(x, 0), [3], [4, NaN, 6]);
    expectTensor(argmax(x, 1), [2], [1, 2]);
    expectTensor(argmin(x, 1), [2], [1, 0]);
    expectTensor(max(tensor([NaN, Infinity])), [], [NaN]);
  });

  it('argmax and argmin return the first of tied values', () => {
    const x = tensor([
      [3, 1, 3, 1],
      [2, 2, 2, 2],
    ]);
    expectTensor(argmax(x, 1), [2], [0, 0]);
    expectTensor(argmin(x, -1), [2], [1, 0]);
    expectTensor(argmax(x), [], [0]);
    // Over several axes the index is row-major within them.
    expectTensor(argmin(x), [], [1]);
    expectTensor(
      argmax(
        tensor([
          [0, 1],
          [5, 2],
        ]),
        [0, 1],
        true,
      ),
      [1, 1],
      [[2]],
    );
  });

  it('keeps i32 (arg ops always give i32; mean gives f32)', () => {
    const x = tensor(
      [
        [1, 7, 3],
        [4, -5, 6],
      ],
      undefined,
      'i32',
    );
    for (const [fn, expected] of [
      [sum, [11, 5]],
      [prod, [21, -120]],
      [max, [7, 6]],
      [min, [1, -5]],
    ] as const) {
      const y = fn(x, 1);
      expect(y.dtype).toBe('i32');
      expect(y.toArray()).toEqual(expected);
    }
    expect(argmax(x, 0).toArray()).toEqual([1, 0, 1]);
    const m = mean(x, 0);
    expect(m.dtype).toBe('f32');
    expectTensor(m, [3], [2.5, 1, 4.5]);
  });

  it('logSumExp is stable for large, infinite and NaN inputs', () => {
    expectTensor(logSumExp(tensor([1000, 1000])), [], [1000 + Math.LN2]);
    expectTensor(logSumExp(tensor([-1000, -1000])), [], [-1000 + Math.LN2]);
    expectTensor(
      logSumExp(
        tensor([
          [-Infinity, -Infinity],
          [0, -Infinity],
        ]),
        1,
      ),
      [2],
      [-Infinity, 0],
    );
    expectTensor(logSumExp(tensor([Infinity, 1])), [], [Infinity]);
    expectTensor(logSumExp(tensor([NaN, 1])), [], [NaN]);
    expectTensor(
      logSumExp(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        -1,
        true,
      ),
      [2, 1],
      [[Math.log(Math.E + Math.E ** 2)], [Math.log(Math.E ** 3 + Math.E ** 4)]],
    );
  });

  it('reject bool inputs, bad axes and repeated axes', () => {
    expect(caught(() => sum(tensor([true]))).detail).toBe('sum: expects f32 or i32, got bool[1]');
    expect(caught(() => sum(tensor([true])))).toBeInstanceOf(KilnDTypeError);
    const x = zeros([2, 3]);
    expect(caught(() => max(x, 2)).detail).toBe('max: axis 2 is out of range for f32[2,3] (rank 2)');
    expect(caught(() => mean(x, -3))).toBeInstanceOf(KilnArgumentError);
    expect(caught(() => sum(x, [1, -1])).detail).toBe('sum: repeated axis in [1,-1] for f32[2,3]');
    expect(caught(() => sum(x, 0.5))).toBeInstanceOf(KilnArgumentError);
  });
});
