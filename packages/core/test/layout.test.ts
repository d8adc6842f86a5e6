import { describe, expect, it } from '@jest/globals';
import {
  arange,
  bind,
  broadcastTo,
  concat,
  expandDims,
  gather,
  KilnArgumentError,
  KilnDTypeError,
  KilnShapeError,
  oneHot,
  pad,
  reshape,
  scalar,
  slice,
  squeeze,
  stack,
  tensor,
  transpose,
  zeros,
  type Tensor,
} from '../src/index.ts';
import { caught, expectTensor } from './helpers.ts';

/** 0, 1, 2, ... in the given shape. */
const iota = (shape: number[]): Tensor => reshape(arange(shape.reduce((a, b) => a * b, 1)), shape);

/** Reference transpose: out[i0..in] = x[i_perm^-1 ...], by walking output indices. */
function transposeRef(data: number[], shape: number[], perm: number[]): number[] {
  const outShape = perm.map((p) => shape[p]!);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out: number[] = [];
  const index = new Array<number>(outShape.length).fill(0);
  for (let n = 0; n < data.length; n++) {
    out.push(data[index.reduce((off, v, d) => off + v * strides[perm[d]!]!, 0)]!);
    for (let d = outShape.length - 1; d >= 0; d--) {
      if (++index[d]! < outShape[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

describe('reshape', () => {
  it('keeps row-major order and infers one -1', () => {
    const x = iota([2, 3]);
    expectTensor(
      reshape(x, [3, 2]),
      [3, 2],
      [
        [0, 1],
        [2, 3],
        [4, 5],
      ],
    );
    expectTensor(reshape(x, [-1]), [6], [0, 1, 2, 3, 4, 5]);
    expectTensor(reshape(x, [1, -1, 2]), [1, 3, 2], [0, 1, 2, 3, 4, 5]);
    expectTensor(reshape(scalar(4), [1, 1]), [1, 1], [4]);
    expectTensor(reshape(tensor([4]), []), [], [4]);
    expect(reshape(zeros([0, 3]), [3, -1, 1]).shape).toEqual([3, 0, 1]);
    expect(reshape(tensor([1, 2], undefined, 'i32'), [2, 1]).dtype).toBe('i32');
  });

  it('returns the same tensor for the same shape', () => {
    const x = iota([2, 3]);
    expect(reshape(x, [2, -1])).toBe(x);
  });

  it('rejects sizes that do not match and more than one -1', () => {
    const x = iota([2, 3]);
    expect(caught(() => reshape(x, [4, 2])).detail).toBe(
      'reshape: cannot reshape f32[2,3] (6 elements) to [4,2] (8 elements)',
    );
    expect(caught(() => reshape(x, [4, -1])).detail).toBe('reshape: cannot reshape f32[2,3] (6 elements) to [4,-1]');
    expect(caught(() => reshape(x, [-1, -1]))).toBeInstanceOf(KilnShapeError);
    expect(caught(() => reshape(x, [2, 1.5, 2]))).toBeInstanceOf(KilnShapeError);
  });
});

describe('transpose', () => {
  it.each<[number[], number[] | undefined]>([
    [[2, 3], undefined],
    [
      [2, 3],
      [1, 0],
    ],
    [
      [2, 3, 4],
      [0, 2, 1],
    ],
    [
      [2, 3, 4],
      [2, 0, 1],
    ],
    [[2, 3, 4], undefined],
    [
      [2, 3, 4],
      [-1, 0, 1],
    ],
    [
      [1, 2, 1, 3],
      [3, 1, 0, 2],
    ],
    [
      [0, 2],
      [1, 0],
    ],
  ])('shape %j perm %j', (shape, perm) => {
    const x = iota(shape);
    const full =
      perm === undefined
        ? shape.map((_, i) => shape.length - 1 - i)
        : perm.map((p) => (p + shape.length) % shape.length);
    const y = transpose(x, perm);
    expectTensor(
      y,
      full.map((p) => shape[p]!),
      transposeRef(Array.from(x.dataSync()), shape, full),
    );
  });

  it('hand-checked 2x3 and bool, identity returns the input', () => {
    expectTensor(
      transpose(
        tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
      ),
      [3, 2],
      [
        [1, 4],
        [2, 5],
        [3, 6],
      ],
    );
    expect(transpose(tensor([[true, false]])).toArray()).toEqual([[true], [false]]);
    const x = iota([2, 2]);
    expect(transpose(x, [0, 1])).toBe(x);
    expect(transpose(scalar(3)).toArray()).toBe(3);
  });

  it('rejects a non-permutation', () => {
    expect(caught(() => transpose(iota([2, 3]), [0, 0])).detail).toBe(
      'transpose: perm [0,0] is not a permutation of the axes of f32[2,3]',
    );
    expect(caught(() => transpose(iota([2, 3]), [0]))).toBeInstanceOf(KilnArgumentError);
  });
});

describe('broadcastTo, expandDims, squeeze', () => {
  it('broadcastTo repeats along new and size-1 axes', () => {
    expectTensor(
      broadcastTo(tensor([1, 2, 3]), [2, 3]),
      [2, 3],
      [
        [1, 2, 3],
        [1, 2, 3],
      ],
    );
    expectTensor(
      broadcastTo(tensor([[1], [2]]), [2, 2, 3]),
      [2, 2, 3],
      [
        [
          [1, 1, 1],
          [2, 2, 2],
        ],
        [
          [1, 1, 1],
          [2, 2, 2],
        ],
      ],
    );
    expectTensor(broadcastTo(scalar(7), [2, 2]), [2, 2], [7, 7, 7, 7]);
    expect(broadcastTo(tensor([[1, 2]], undefined, 'i32'), [0, 2]).shape).toEqual([0, 2]);
    expect(broadcastTo(tensor([true]), [3]).toArray()).toEqual([true, true, true]);
    expect(caught(() => broadcastTo(tensor([1, 2]), [3])).detail).toBe('broadcastTo: cannot broadcast f32[2] to [3]');
    expect(caught(() => broadcastTo(tensor([1, 2]), [2, 1]))).toBeInstanceOf(KilnShapeError);
  });

  it('expandDims inserts a size-1 axis at any position, negative counting from the end', () => {
    const x = iota([2, 3]);
    expect(expandDims(x).shape).toEqual([1, 2, 3]);
    expect(expandDims(x, 1).shape).toEqual([2, 1, 3]);
    expect(expandDims(x, 2).shape).toEqual([2, 3, 1]);
    expect(expandDims(x, -1).shape).toEqual([2, 3, 1]);
    expect(expandDims(x, -3).shape).toEqual([1, 2, 3]);
    expect(expandDims(scalar(1)).shape).toEqual([1]);
    expectTensor(expandDims(x, 1), [2, 1, 3], [0, 1, 2, 3, 4, 5]);
    expect(caught(() => expandDims(x, 3)).detail).toBe('expandDims: axis 3 is out of range for f32[2,3]');
  });

  it('squeeze removes all size-1 axes or the given ones', () => {
    const x = iota([1, 2, 1, 3]);
    expect(squeeze(x).shape).toEqual([2, 3]);
    expect(squeeze(x, 0).shape).toEqual([2, 1, 3]);
    expect(squeeze(x, [-2, 0]).shape).toEqual([2, 3]);
    expect(squeeze(iota([1, 1])).shape).toEqual([]);
    expectTensor(squeeze(x), [2, 3], [0, 1, 2, 3, 4, 5]);
    expect(caught(() => squeeze(x, 1)).detail).toBe('squeeze: axis 1 of f32[1,2,1,3] has size 2, not 1');
  });
});

describe('slice', () => {
  const x = iota([3, 4]);

  it.each<[string, number | number[], number | number[] | undefined, number[], number[][]]>([
    [
      'a block',
      [1, 1],
      [2, 2],
      [2, 2],
      [
        [5, 6],
        [9, 10],
      ],
    ],
    [
      'to the end with -1',
      [1, 2],
      [-1, -1],
      [2, 2],
      [
        [6, 7],
        [10, 11],
      ],
    ],
    ['negative begin counts from the end', [-1, -3], [1, 2], [1, 2], [[9, 10]]],
    ['a shorter begin keeps trailing axes', 2, undefined, [1, 4], [[8, 9, 10, 11]]],
    ['a number begin and size', 1, 1, [1, 4], [[4, 5, 6, 7]]],
    ['empty', [1, 0], [0, 4], [0, 4], []],
  ])('%s', (_name, begin, size, shape, expected) => {
    expectTensor(slice(x, begin, size), shape, expected);
  });

  it('the whole tensor returns itself; i32 and bool keep their dtype', () => {
    expect(slice(x, [0, 0], [-1, -1])).toBe(x);
    expect(slice(tensor([1, 2, 3], undefined, 'i32'), [1]).toArray()).toEqual([2, 3]);
    expect(slice(tensor([true, false, true]), [1], [1]).toArray()).toEqual([false]);
  });

  it('rejects blocks that do not fit', () => {
    expect(caught(() => slice(x, [2, 0], [2, 4])).detail).toBe('slice: begin [2,0] size [2,4] do not fit f32[3,4]');
    expect(caught(() => slice(x, [0, 0, 0]))).toBeInstanceOf(KilnArgumentError);
  });
});

describe('concat and stack', () => {
  it('concat joins along an axis (negative too) and keeps dtype', () => {
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    const b = tensor([[5, 6]]);
    expectTensor(
      concat([a, b]),
      [3, 2],
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    );
    expectTensor(
      concat([a, tensor([[7], [8]])], -1),
      [2, 3],
      [
        [1, 2, 7],
        [3, 4, 8],
      ],
    );
    expectTensor(concat([a, zeros([0, 2]), b], 0), [3, 2], [1, 2, 3, 4, 5, 6]);
    expect(concat([a])).toBe(a);
    expect(concat([tensor([1], undefined, 'i32'), tensor([2, 3], undefined, 'i32')]).toArray()).toEqual([1, 2, 3]);
    expect(concat([tensor([true]), tensor([false])]).toArray()).toEqual([true, false]);
  });

  it('concat rejects mismatched shapes, dtypes and axes', () => {
    expect(caught(() => concat([zeros([2, 2]), zeros([2, 3])])).detail).toBe(
      'concat: shapes f32[2,2], f32[2,3] differ outside axis 0',
    );
    expect(caught(() => concat([zeros([2]), zeros([2], 'i32')]))).toBeInstanceOf(KilnDTypeError);
    expect(caught(() => concat([zeros([2])], 1)).detail).toBe('concat: axis 1 is out of range for f32[2]');
    expect(caught(() => concat([])).detail).toBe('concat: needs at least one tensor');
  });

  it('stack joins along a new axis', () => {
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expectTensor(
      stack([a, b]),
      [2, 2],
      [
        [1, 2],
        [3, 4],
      ],
    );
    expectTensor(
      stack([a, b], 1),
      [2, 2],
      [
        [1, 3],
        [2, 4],
      ],
    );
    expectTensor(
      stack([a, b], -1),
      [2, 2],
      [
        [1, 3],
        [2, 4],
      ],
    );
    expectTensor(stack([scalar(1), scalar(2), scalar(3)]), [3], [1, 2, 3]);
    expect(caught(() => stack([a, tensor([1, 2, 3])]))).toBeInstanceOf(KilnShapeError);
  });
});

describe('pad', () => {
  it('adds [before, after] entries of a constant on each axis', () => {
    expectTensor(
      pad(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        [
          [1, 0],
          [0, 2],
        ],
      ),
      [3, 4],
      [
        [0, 0, 0, 0],
        [1, 2, 0, 0],
        [3, 4, 0, 0],
      ],
    );
    expectTensor(pad(tensor([1, 2]), [[2, 1]], -1), [5], [-1, -1, 1, 2, -1]);
    expectTensor(pad(zeros([0]), [[1, 1]], 5), [2], [5, 5]);
    expect(pad(tensor([1], undefined, 'i32'), [[1, 0]], 7).toArray()).toEqual([7, 1]);
    expect(pad(tensor([true]), [[0, 1]]).toArray()).toEqual([true, false]);
    // A bool pad value is stored as 0 or 1, like every bool.
    expect(Array.from(pad(tensor([false]), [[1, 0]], 5).dataSync())).toEqual([1, 0]);
    const x = tensor([1]);
    expect(pad(x, [[0, 0]])).toBe(x);
  });

  it('rejects negative or missing paddings', () => {
    expect(caught(() => pad(tensor([1]), [[-1, 0]])).detail).toBe(
      'pad: paddings [[-1,0]] must give [before, after] >= 0 for each axis of f32[1]',
    );
    expect(caught(() => pad(zeros([2, 2]), [[1, 1]]))).toBeInstanceOf(KilnArgumentError);
  });
});

describe('gather and oneHot', () => {
  const x = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

  it('gather picks along an axis with repeated indices and any index shape', () => {
    expectTensor(
      gather(x, [1, 0, 1]),
      [3, 3],
      [
        [4, 5, 6],
        [1, 2, 3],
        [4, 5, 6],
      ],
    );
    expectTensor(
      gather(x, [2, 2, 0], 1),
      [2, 3],
      [
        [3, 3, 1],
        [6, 6, 4],
      ],
    );
    expectTensor(
      gather(x, [2, 0], -1),
      [2, 2],
      [
        [3, 1],
        [6, 4],
      ],
    );
    expectTensor(
      gather(
        x,
        tensor(
          [
            [0, 1],
            [1, 1],
          ],
          undefined,
          'i32',
        ),
        1,
      ),
      [2, 2, 2],
      [
        [
          [1, 2],
          [2, 2],
        ],
        [
          [4, 5],
          [5, 5],
        ],
      ],
    );
    expectTensor(gather(x, scalar(1, 'i32')), [3], [4, 5, 6]);
    expect(gather(x, zeros([0], 'i32')).shape).toEqual([0, 3]);
    expect(gather(tensor([true, false]), [1, 1]).toArray()).toEqual([false, false]);
  });

  it('gather rejects out-of-range and non-i32 indices', () => {
    expect(caught(() => gather(x, [2])).detail).toBe('gather: index 2 is out of range [0, 2) for f32[2,3]');
    expect(caught(() => gather(x, [-1])).detail).toBe('gather: index -1 is out of range [0, 2) for f32[2,3]');
    expect(caught(() => gather(x, tensor([0]))).detail).toBe('gather: indices must be i32, got f32[1]');
    expect(caught(() => gather(x, [0], 2))).toBeInstanceOf(KilnArgumentError);
  });

  it('oneHot gives f32 rows, all zero for out-of-range indices', () => {
    const y = oneHot([0, 2, 1, -1, 3], 3);
    expect(y.dtype).toBe('f32');
    expectTensor(
      y,
      [5, 3],
      [
        [1, 0, 0],
        [0, 0, 1],
        [0, 1, 0],
        [0, 0, 0],
        [0, 0, 0],
      ],
    );
    expectTensor(oneHot(tensor([[1], [0]], undefined, 'i32'), 2), [2, 1, 2], [[[0, 1]], [[1, 0]]]);
    expectTensor(oneHot(scalar(1, 'i32'), 2), [2], [0, 1]);
    expect(oneHot(zeros([0], 'i32'), 4).shape).toEqual([0, 4]);
    expect(caught(() => oneHot(tensor([0.5]), 2)).detail).toBe('oneHot: indices must be i32, got f32[1]');
  });
});

describe('scatterAdd (the adjoint of gather)', () => {
  it('sums updates into a zero tensor at the indices, repeated indices adding up', () => {
    const updates = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const y = bind('scatterAdd', [updates, tensor([2, 0, 2, 2], undefined, 'i32')], { axis: 0, dimSize: 3 });
    expectTensor(
      y,
      [3, 2],
      [
        [3, 4],
        [0, 0],
        [1 + 5 + 7, 2 + 6 + 8],
      ],
    );
    const z = bind('scatterAdd', [updates, tensor([1, 1], undefined, 'i32')], { axis: 1, dimSize: 2 });
    expectTensor(
      z,
      [4, 2],
      [
        [0, 3],
        [0, 7],
        [0, 11],
        [0, 15],
      ],
    );
    expect(
      caught(() => bind('scatterAdd', [updates, tensor([0, 1, 2, 3], undefined, 'i32')], { axis: 0, dimSize: 3 }))
        .detail,
    ).toBe('scatterAdd: index 3 is out of range [0, 3) for f32[4,2]');
  });
});
