import { describe, expect, it } from '@jest/globals';
import { KilnDTypeError, KilnShapeError, matmul, ones, tensor, zeros } from '../src/index.ts';
import { caught, expectTensor, F32_ATOL, seededValues } from './helpers.ts';

/** Products over k accumulate rounding: allow a few f32 ulps per term of the longest case. */
const MATMUL_RTOL = 1e-5;

/** Element (r, c) of a stored row-major matrix with `cols` columns, read through an optional transpose. */
function at(data: number[], off: number, cols: number, transposed: boolean, r: number, c: number): number {
  return transposed ? data[off + c * cols + r]! : data[off + r * cols + c]!;
}

/**
 * Naive batched matmul in double precision: the batch dims broadcast (NumPy rules), then a triple
 * loop per batch entry.
 */
function matmulRef(
  a: number[],
  aShape: number[],
  b: number[],
  bShape: number[],
  tA: boolean,
  tB: boolean,
): { shape: number[]; values: number[] } {
  const [ar, ac] = aShape.slice(-2) as [number, number];
  const [br, bc] = bShape.slice(-2) as [number, number];
  const [m, k] = tA ? [ac, ar] : [ar, ac];
  const n = tB ? br : bc;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pa = [...Array(rank - aBatch.length).fill(1), ...aBatch];
  const pb = [...Array(rank - bBatch.length).fill(1), ...bBatch];
  const batch = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const count = batch.reduce((x, y) => x * y, 1);
  const flatIndex = (dims: number[], index: number[]) => dims.reduce((f, d, i) => f * d + (d === 1 ? 0 : index[i]!), 0);
  const values: number[] = [];
  for (let bi = 0; bi < count; bi++) {
    const index: number[] = [];
    let rest = bi;
    for (let d = rank - 1; d >= 0; d--) {
      index.unshift(rest % batch[d]!);
      rest = Math.floor(rest / batch[d]!);
    }
    const aOff = flatIndex(pa, index) * ar * ac;
    const bOff = flatIndex(pb, index) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += at(a, aOff, ac, tA, i, p) * at(b, bOff, bc, tB, p, j);
        values.push(s);
      }
    }
  }
  return { shape: [...batch, m, n], values };
}

/** [aShape, bShape] as stored, before any transpose flag applies. */
const CASES: [string, number[], number[], boolean, boolean][] = [
  ['2x3 · 3x4', [2, 3], [3, 4], false, false],
  ['transposeA', [3, 2], [3, 4], true, false],
  ['transposeB', [2, 3], [4, 3], false, true],
  ['both transposed', [3, 2], [4, 3], true, true],
  ['1x1', [1, 1], [1, 1], false, false],
  ['column times row', [5, 1], [1, 7], false, false],
  ['past the 4-row block (m = 7)', [7, 5], [5, 3], false, false],
  ['k past the k-block (300)', [5, 300], [300, 6], false, false],
  ['k past the k-block, both transposed', [300, 5], [6, 300], true, true],
  ['batch 2x3x4 · 2x4x5', [2, 3, 4], [2, 4, 5], false, false],
  ['batch times matrix', [2, 3, 4], [4, 5], false, false],
  ['matrix times batch, transposeB', [3, 4], [2, 5, 4], false, true],
  ['broadcast batch dims [2,1] with [3]', [2, 1, 3, 4], [3, 4, 2], false, false],
  ['broadcast batch dims, transposeA', [1, 2, 4, 3], [3, 1, 4, 5], true, false],
  ['broadcast batch dims, both transposed', [2, 1, 4, 3], [1, 3, 5, 4], true, true],
];

describe('matmul against a naive reference', () => {
  it.each(CASES)('%s', (_name, aShape, bShape, transposeA, transposeB) => {
    const a = seededValues(
      aShape.reduce((x, y) => x * y, 1),
      21,
      -1,
      1,
    );
    const b = seededValues(
      bShape.reduce((x, y) => x * y, 1),
      22,
      -1,
      1,
    );
    const y = matmul(tensor(a, aShape), tensor(b, bShape), { transposeA, transposeB });
    const expected = matmulRef(a, aShape, b, bShape, transposeA, transposeB);
    expect(y.dtype).toBe('f32');
    expectTensor(y, expected.shape, expected.values, MATMUL_RTOL, F32_ATOL * 10);
  });

  it('hand-checked 2x2', () => {
    expectTensor(
      matmul(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        tensor([
          [5, 6],
          [7, 8],
        ]),
      ),
      [2, 2],
      [
        [19, 22],
        [43, 50],
      ],
    );
    expectTensor(
      matmul(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        tensor([
          [5, 6],
          [7, 8],
        ]),
        { transposeA: true },
      ),
      [2, 2],
      [
        [26, 30],
        [38, 44],
      ],
    );
    expectTensor(
      matmul(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        tensor([
          [5, 6],
          [7, 8],
        ]),
        { transposeB: true },
      ),
      [2, 2],
      [
        [17, 23],
        [39, 53],
      ],
    );
  });

  it('i32 stays integer', () => {
    const y = matmul(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        undefined,
        'i32',
      ),
      tensor([[5], [-6]], undefined, 'i32'),
    );
    expect(y.dtype).toBe('i32');
    expect(y.toArray()).toEqual([[-7], [-9]]);
  });

  it('size-0 dimensions: an empty inner dimension gives zeros', () => {
    expectTensor(matmul(zeros([2, 0]), zeros([0, 3])), [2, 3], [0, 0, 0, 0, 0, 0]);
    expect(matmul(zeros([0, 4]), ones([4, 3])).shape).toEqual([0, 3]);
    expect(matmul(zeros([0, 2, 4]), ones([4, 3])).shape).toEqual([0, 2, 3]);
  });

  it('NaN and Infinity propagate only to the rows and columns they touch', () => {
    const y = matmul(
      tensor([
        [NaN, 0],
        [1, 1],
      ]),
      tensor([
        [1, 1],
        [1, Infinity],
      ]),
    );
    expectTensor(
      y,
      [2, 2],
      [
        [NaN, NaN],
        [2, Infinity],
      ],
    );
  });

  it('rejects mismatched inner and batch dimensions, vectors and mixed dtypes', () => {
    expect(caught(() => matmul(zeros([2, 3]), zeros([4, 5]))).detail).toBe(
      'matmul: inner dimensions differ: f32[2,3], f32[4,5] gives 3 vs 4',
    );
    expect(caught(() => matmul(zeros([2, 3]), zeros([2, 5]), { transposeA: true, transposeB: true })).detail).toBe(
      'matmul: inner dimensions differ: f32[2,3], f32[2,5] (transposeA=true, transposeB=true) gives 2 vs 5',
    );
    expect(caught(() => matmul(zeros([2, 2, 3]), zeros([3, 3, 4]))).detail).toBe(
      'matmul: batch dimensions of f32[2,2,3], f32[3,3,4] cannot be broadcast together',
    );
    expect(caught(() => matmul(zeros([3]), zeros([3, 2])))).toBeInstanceOf(KilnShapeError);
    expect(caught(() => matmul(zeros([2, 2]), zeros([2, 2], 'i32')))).toBeInstanceOf(KilnDTypeError);
    expect(caught(() => matmul(zeros([1, 1], 'bool'), zeros([1, 1], 'bool')))).toBeInstanceOf(KilnDTypeError);
  });
});
