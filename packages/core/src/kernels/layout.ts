/**
 * @file Eager kernels of the layout ops. Most are one strided copy; reshape shares storage,
 * which is safe because tensors are immutable.
 */
import { allocate, type TypedArray } from '../dtype.ts';
import { KilnArgumentError } from '../errors.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { broadcastStrides, sizeOf, stridesOf } from '../shape.ts';
import type { TensorType } from '../ops/shape-rules.ts';
import type { LayoutOp, OpAttrs } from '../ops/names.ts';

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

type LayoutKernel<K extends LayoutOp> = (inputs: readonly Tensor[], attrs: OpAttrs[K], type: TensorType) => Tensor;

/** A new tensor of `type` filled by copying `x` through `srcStrides` starting at `srcOff`. */
function gatherStrided(x: Tensor, srcOff: number, srcStrides: readonly number[], type: TensorType): Tensor {
  const out = allocate(type.dtype, sizeOf(type.shape));
  stridedCopy(x.storage!, srcOff, srcStrides, out, 0, stridesOf(type.shape), type.shape);
  return makeTensor(type.shape, type.dtype, out);
}

/** Splits a shape around `axis` into [outer, middle, inner] element counts. */
function around(shape: readonly number[], axis: number, middleRank = 1): [number, number, number] {
  return [
    sizeOf(shape.slice(0, axis)),
    sizeOf(shape.slice(axis, axis + middleRank)),
    sizeOf(shape.slice(axis + middleRank)),
  ];
}

function checkIndex(op: string, index: number, dimSize: number, x: Tensor): void {
  if (index < 0 || index >= dimSize) {
    throw new KilnArgumentError(`${op}: index ${index} is out of range [0, ${dimSize}) for ${x.typeString}`);
  }
}

export const layoutKernels: { [K in LayoutOp]: LayoutKernel<K> } = {
  reshape: (inputs, _attrs, type) => makeTensor(type.shape, type.dtype, inputs[0]!.storage!),
  transpose: (inputs, { perm }, type) => {
    const x = inputs[0]!;
    const strides = stridesOf(x.shape);
    return gatherStrided(
      x,
      0,
      perm.map((p) => strides[p]!),
      type,
    );
  },
  broadcastTo: (inputs, _attrs, type) =>
    gatherStrided(inputs[0]!, 0, broadcastStrides(inputs[0]!.shape, type.shape), type),
  slice: (inputs, { begin }, type) => {
    const x = inputs[0]!;
    const strides = stridesOf(x.shape);
    return gatherStrided(
      x,
      begin.reduce((off, b, i) => off + b * strides[i]!, 0),
      strides,
      type,
    );
  },
  concat: (inputs, { axis }, type) => {
    const out = allocate(type.dtype, sizeOf(type.shape));
    const outStrides = stridesOf(type.shape);
    let offset = 0;
    for (const x of inputs) {
      stridedCopy(x.storage!, 0, stridesOf(x.shape), out, offset * outStrides[axis]!, outStrides, x.shape);
      offset += x.shape[axis]!;
    }
    return makeTensor(type.shape, type.dtype, out);
  },
  pad: (inputs, { paddings, value }, type) => {
    const x = inputs[0]!;
    const out = allocate(type.dtype, sizeOf(type.shape)).fill(type.dtype === 'bool' ? Number(value !== 0) : value);
    const outStrides = stridesOf(type.shape);
    const start = paddings.reduce((off, [before], i) => off + before * outStrides[i]!, 0);
    stridedCopy(x.storage!, 0, stridesOf(x.shape), out, start, outStrides, x.shape);
    return makeTensor(type.shape, type.dtype, out);
  },
  gather: (inputs, { axis }, type) => {
    const [x, indices] = inputs as [Tensor, Tensor];
    const [outer, dim, inner] = around(x.shape, axis);
    const idx = indices.storage!;
    const src = x.storage!;
    const out = allocate(type.dtype, sizeOf(type.shape));
    for (let t = 0; t < idx.length; t++) checkIndex('gather', idx[t]!, dim, x);
    for (let o = 0; o < outer; o++) {
      for (let t = 0; t < idx.length; t++) {
        const from = (o * dim + idx[t]!) * inner;
        out.set(src.subarray(from, from + inner), (o * idx.length + t) * inner);
      }
    }
    return makeTensor(type.shape, type.dtype, out);
  },
  scatterAdd: (inputs, { axis, dimSize }, type) => {
    const [updates, indices] = inputs as [Tensor, Tensor];
    const [outer, count, inner] = around(updates.shape, axis, indices.rank);
    const idx = indices.storage!;
    const src = updates.storage!;
    const acc = new Float64Array(sizeOf(type.shape));
    for (let t = 0; t < idx.length; t++) checkIndex('scatterAdd', idx[t]!, dimSize, updates);
    for (let o = 0; o < outer; o++) {
      for (let t = 0; t < count; t++) {
        const to = (o * dimSize + idx[t]!) * inner;
        const from = (o * count + t) * inner;
        for (let j = 0; j < inner; j++) acc[to + j] += src[from + j]!;
      }
    }
    const out = allocate(type.dtype, acc.length);
    out.set(acc);
    return makeTensor(type.shape, type.dtype, out);
  },
  oneHot: (inputs, { depth }, type) => {
    const idx = inputs[0]!.storage!;
    const out = new Float32Array(sizeOf(type.shape));
    // Out-of-range indices give an all-zero row, as in TensorFlow and JAX.
    for (let i = 0; i < idx.length; i++) if (idx[i]! >= 0 && idx[i]! < depth) out[i * depth + idx[i]!] = 1;
    return makeTensor(type.shape, 'f32', out);
  },
};
