/** Datasets: slicing, batching with and without the remainder, per-epoch shuffles, map, and errors. */
import { describe, expect, it } from '@jest/globals';
import { data, KilnArgumentError, KilnShapeError, mul, tensor, type Tensor } from '../src/index.ts';
import { caught } from './helpers.ts';

const xs = () => tensor(Array.from({ length: 10 }, (_, i) => [i, 10 * i]));
const ys = () =>
  tensor(
    Array.from({ length: 10 }, (_, i) => i),
    undefined,
    'i32',
  );

/** The first column of x in each element or batch, as plain numbers. */
const firsts = (ds: Iterable<{ x: Tensor }>) => [...ds].map((e) => e.x.toArray());

describe('datasets', () => {
  it('fromTensors yields the rows of every leaf, in order, with for...of', () => {
    const ds = data.fromTensors({ x: xs(), y: ys() });
    expect(ds.length).toBe(10);
    const seen: [unknown, unknown][] = [];
    for (const { x, y } of ds) seen.push([x.toArray(), y.toArray()]);
    expect(seen.slice(0, 3)).toEqual([
      [[0, 0], 0],
      [[1, 10], 1],
      [[2, 20], 2],
    ]);
    expect(seen).toHaveLength(10);
  });

  it('batch stacks rows; the last partial batch is kept unless dropRemainder', () => {
    const ds = data.fromTensors({ x: xs(), y: ys() });
    const batches = [...ds.batch(4)];
    expect(batches.map((b) => b.x.shape)).toEqual([
      [4, 2],
      [4, 2],
      [2, 2],
    ]);
    expect(batches.map((b) => b.y.toArray())).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batches[0]!.y.dtype).toBe('i32');
    const dropped = ds.batch(4, { dropRemainder: true });
    expect(dropped.length).toBe(2);
    expect([...dropped].map((b) => b.y.toArray())).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(ds.batch(4).length).toBe(3);
  });

  it('shuffle gives a permutation, a new one each epoch, the same ones for the same seed', () => {
    const epochs = (seed: number) => {
      const ds = data.fromTensors({ x: ys() }).shuffle(seed);
      return [0, 1, 2].map(() => [...ds].map((e) => e.x.item() as number));
    };
    const [a, b, c] = epochs(7);
    for (const order of [a, b, c]) expect([...order!].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(a).not.toEqual(b);
    expect(b).not.toEqual(c);
    expect(epochs(7)).toEqual([a, b, c]);
    expect(epochs(8)[0]).not.toEqual(a);
  });

  it('shuffle then batch keeps rows of different leaves together', () => {
    const ds = data.fromTensors({ x: xs(), y: ys() }).shuffle(3).batch(3);
    for (const { x, y } of ds) {
      const rows = x.toArray() as number[][];
      expect(rows.map((r) => r[0])).toEqual(y.toArray());
      expect(rows.map((r) => r[1])).toEqual((y.toArray() as number[]).map((v) => 10 * v));
    }
  });

  it('map transforms each element, before or after batching', () => {
    const doubled = data.fromTensors({ x: xs() }).map(({ x }) => ({ x: mul(x, 2) }));
    expect(firsts(doubled.batch(5))[1]).toEqual([
      [10, 100],
      [12, 120],
      [14, 140],
      [16, 160],
      [18, 180],
    ]);
    const sums = data
      .fromTensors({ x: xs() })
      .batch(5)
      .map(({ x }) => x.shape[0]);
    expect([...sums]).toEqual([5, 5]);
    const shuffled = data
      .fromTensors({ x: ys() })
      .map(({ x }) => x)
      .shuffle(1);
    expect([...shuffled].map((t) => t.item()).sort((p, q) => (p as number) - (q as number))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });

  it('fromArrays takes columns of JS data, with dtypes by name', () => {
    const ds = data.fromArrays(
      {
        x: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        y: [0, 2, 1],
      },
      { dtypes: { y: 'i32' } },
    );
    const [batch] = [...ds.batch(3)];
    expect(batch!.x.toArray()).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(batch!.y.dtype).toBe('i32');
    expect([...data.fromArrays(new Int32Array([4, 5]))].map((t) => [t.dtype, t.item()])).toEqual([
      ['i32', 4],
      ['i32', 5],
    ]);
  });

  it('bad input names the culprit', () => {
    const mismatch = caught(() => data.fromTensors({ x: xs(), y: tensor([1, 2]) }));
    expect(mismatch).toBeInstanceOf(KilnShapeError);
    expect(mismatch.detail).toBe("fromTensors: leaf 'y' (f32[2]) has 2 rows, 'x' (f32[10,2]) has 10");
    expect(caught(() => data.fromTensors({ s: tensor(1) })).detail).toBe(
      "fromTensors: leaf 's' is a scalar; it has no rows",
    );
    expect(caught(() => data.fromTensors({ x: xs() }).batch(0))).toBeInstanceOf(KilnArgumentError);
    expect(caught(() => data.fromArrays({ x: [1] }, { dtypes: { z: 'i32' } })).detail).toBe(
      "fromArrays: dtypes names 'z', which is not a column",
    );
  });
});
