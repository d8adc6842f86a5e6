/**
 * @file The loops the eager layout kernels (ops/layout.ts) are made of: a strided copy, and the
 * index helpers of gather and scatterAdd.
 */
import { allocate, type TypedArray } from '../dtype.ts';
import { KilnArgumentError } from '../errors.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { sizeOf, stridesOf } from '../shape.ts';
import type { TensorType } from '../ops/rules.ts';

/** dst[dstOff + Σ i·dstStrides] = src[srcOff + Σ i·srcStrides] for every index i of `shape`. */
export function stridedCopy(
  src: TypedArray,
  srcOff: number,
  srcStrides: readonly number[],
  dst: TypedArray,
  dstOff: number,
  dstStrides: readonly number[],
  shape: readonly number[],
): void {
  const rank = shape.length;
  if (sizeOf(shape) === 0) return;
  if (rank === 0) {
    dst[dstOff] = src[srcOff]!;
    return;
  }
  const inner = shape[rank - 1]!;
  const ss = srcStrides[rank - 1]!;
  const ds = dstStrides[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let so = srcOff;
  let d0 = dstOff;
  for (;;) {
    if (ss === 1 && ds === 1) dst.set(src.subarray(so, so + inner), d0);
    else for (let j = 0; j < inner; j++) dst[d0 + j * ds] = src[so + j * ss]!;
    let d = rank - 2;
    for (; d >= 0; d--) {
      so += srcStrides[d]!;
      d0 += dstStrides[d]!;
      if (++index[d]! < shape[d]!) break;
      so -= srcStrides[d]! * shape[d]!;
      d0 -= dstStrides[d]! * shape[d]!;
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

/** A new tensor of `type` filled by copying `x` through `srcStrides` starting at `srcOff`. */
export function gatherStrided(x: Tensor, srcOff: number, srcStrides: readonly number[], type: TensorType): Tensor {
  const out = allocate(type.dtype, sizeOf(type.shape));
  stridedCopy(x.storage!, srcOff, srcStrides, out, 0, stridesOf(type.shape), type.shape);
  return makeTensor(type.shape, type.dtype, out);
}

/** Splits a shape around `axis` into [outer, middle, inner] element counts. */
export function around(shape: readonly number[], axis: number, middleRank = 1): [number, number, number] {
  return [
    sizeOf(shape.slice(0, axis)),
    sizeOf(shape.slice(axis, axis + middleRank)),
    sizeOf(shape.slice(axis + middleRank)),
  ];
}

export function checkIndex(op: string, index: number, dimSize: number, x: Tensor): void {
  if (index < 0 || index >= dimSize) {
    throw new KilnArgumentError(`${op}: index ${index} is out of range [0, ${dimSize}) for ${x.typeString}`);
  }
}
