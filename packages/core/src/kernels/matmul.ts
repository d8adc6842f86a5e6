/**
 * @file Eager matmul with batch broadcasting. The 2-D kernel blocks over k so a panel of B stays
 * in cache, updates four output rows per pass over a B row, and accumulates in doubles (i32
 * matmuls wrap, like Wasm).
 */
import { allocate, type TypedArray } from '../dtype.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { broadcastStrides, sizeOf, stridesOf } from '../shape.ts';
import type { OpAttrs } from '../ops/names.ts';
import { matrixDims, type TensorType } from '../ops/shape-rules.ts';

/** Rows of B kept hot in cache per block (256 rows x 512 floats = 512 KiB, inside L2). */
const K_BLOCK = 256;

/** A view of one matrix operand: element (r, c) lives at off + r*rowStride + c*colStride. */
interface Operand {
  data: TypedArray;
  off: number;
  rowStride: number;
  colStride: number;
}

/** acc[m x n] += A[m x k] · B[k x n], where B is row-major contiguous at bOff. */
function accumulate(a: Operand, b: TypedArray, bOff: number, acc: Float64Array, m: number, n: number, k: number): void {
  const { data: ad, rowStride: ar, colStride: ac } = a;
  for (let k0 = 0; k0 < k; k0 += K_BLOCK) {
    const k1 = Math.min(k, k0 + K_BLOCK);
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const r0 = i * n;
      const r1 = r0 + n;
      const r2 = r1 + n;
      const r3 = r2 + n;
      for (let p = k0; p < k1; p++) {
        const ap = a.off + p * ac + i * ar;
        const a0 = ad[ap]!;
        const a1 = ad[ap + ar]!;
        const a2 = ad[ap + 2 * ar]!;
        const a3 = ad[ap + 3 * ar]!;
        const bp = bOff + p * n;
        for (let j = 0; j < n; j++) {
          const bv = b[bp + j]!;
          acc[r0 + j] += a0 * bv;
          acc[r1 + j] += a1 * bv;
          acc[r2 + j] += a2 * bv;
          acc[r3 + j] += a3 * bv;
        }
      }
    }
    for (; i < m; i++) {
      for (let p = k0; p < k1; p++) {
        const av = ad[a.off + i * ar + p * ac]!;
        const bp = bOff + p * n;
        for (let j = 0; j < n; j++) acc[i * n + j] += av * b[bp + j]!;
      }
    }
  }
}

/** acc[m x n] = A[m x k] · B[k x n] wrapping like i32 (as Wasm does): doubles lose bits past 2^53. */
function accumulateInt(
  a: Operand,
  b: TypedArray,
  bOff: number,
  acc: Float64Array,
  m: number,
  n: number,
  k: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s = (s + Math.imul(a.data[a.off + i * a.rowStride + p * a.colStride]!, b[bOff + p * n + j]!)) | 0;
      acc[i * n + j] = s;
    }
  }
}

/** B as a contiguous row-major [k, n] array (a transposed copy when it is stored as [n, k]). */
function contiguousB(b: TypedArray, off: number, k: number, n: number, transposed: boolean): [TypedArray, number] {
  if (!transposed) return [b, off];
  const t = new Float64Array(k * n);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) t[p * n + j] = b[off + j * k + p]!;
  return [t as unknown as TypedArray, 0];
}

export function matmulKernel(
  inputs: readonly Tensor[],
  { transposeA, transposeB }: OpAttrs['matmul'],
  type: TensorType,
): Tensor {
  const [a, b] = inputs as [Tensor, Tensor];
  const [m, k] = matrixDims(a.shape, transposeA);
  const n = matrixDims(b.shape, transposeB)[1];
  const batchShape = type.shape.slice(0, -2);
  const batches = sizeOf(batchShape);
  const aBatch = broadcastStrides(a.shape.slice(0, -2), batchShape).map((s) => s * a.shape.at(-1)! * a.shape.at(-2)!);
  const bBatch = broadcastStrides(b.shape.slice(0, -2), batchShape).map((s) => s * b.shape.at(-1)! * b.shape.at(-2)!);
  const batchIndex = stridesOf(batchShape);
  const out = allocate(type.dtype, sizeOf(type.shape));
  const acc = new Float64Array(m * n);
  for (let bi = 0; bi < batches; bi++) {
    let aOff = 0;
    let bOff = 0;
    batchShape.forEach((dim, d) => {
      const pos = Math.floor(bi / batchIndex[d]!) % dim;
      aOff += pos * aBatch[d]!;
      bOff += pos * bBatch[d]!;
    });
    acc.fill(0);
    const [bData, bStart] = contiguousB(b.storage!, bOff, k, n, transposeB);
    const operandA: Operand = transposeA
      ? { data: a.storage!, off: aOff, rowStride: 1, colStride: m }
      : { data: a.storage!, off: aOff, rowStride: k, colStride: 1 };
    (type.dtype === 'i32' ? accumulateInt : accumulate)(operandA, bData, bStart, acc, m, n, k);
    out.set(acc, bi * m * n);
  }
  return makeTensor(type.shape, type.dtype, out);
}
