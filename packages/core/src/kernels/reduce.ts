/**
 * @file Eager reduction kernels. Sums accumulate in double precision; max/min propagate NaN;
 * argmax/argmin return the first index of the extreme value within the reduced axes.
 */
import { allocate, type DType, type TypedArray } from '../dtype.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { stridesOf } from '../shape.ts';
import type { TensorType } from '../ops/rules.ts';
import type { ReduceAttrs } from '../ops/names.ts';
import { specialize } from './specialize.ts';

/** Folds one element into an accumulator. */
export type Combine = (acc: number, x: number) => number;

/** Strides into the output for each input axis (0 along reduced axes). */
function outputStrides(shape: readonly number[], axes: readonly number[]): number[] {
  const kept = shape.filter((_, i) => !axes.includes(i));
  const keptStrides = stridesOf(kept);
  let k = 0;
  return shape.map((_, i) => (axes.includes(i) ? 0 : keptStrides[k++]!));
}

/** Folds every input element into acc[output index], walking the input in row-major order. */
function reduceLoop(
  combine: Combine,
  x: TypedArray,
  shape: readonly number[],
  outStrides: readonly number[],
  acc: Float64Array,
): void {
  const rank = shape.length;
  const inner = shape[rank - 1]!;
  const so = outStrides[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let oo = 0;
  for (let base = 0; base < x.length; base += inner) {
    if (so === 0) {
      let s = acc[oo]!;
      for (let j = 0; j < inner; j++) s = combine(s, x[base + j]!);
      acc[oo] = s;
    } else {
      for (let j = 0; j < inner; j++) acc[oo + j * so] = combine(acc[oo + j * so]!, x[base + j]!);
    }
    for (let d = rank - 2; d >= 0; d--) {
      oo += outStrides[d]!;
      if (++index[d]! < shape[d]!) break;
      oo -= outStrides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
}

/**
 * The eager kernel of a folding reduction: `combine` (or `intCombine` for i32 input) from the
 * identity of the output dtype. The kernel gets its own copy of the loop (see specialize.ts).
 */
export function foldKernel(
  combine: Combine,
  intCombine: Combine,
  identity: (dtype: DType) => number,
): (inputs: readonly Tensor[], attrs: ReduceAttrs, type: TensorType) => Tensor {
  const loop = specialize(reduceLoop);
  return (inputs, { axes }, type) => {
    const x = inputs[0]!;
    const outSize = type.shape.reduce((a, b) => a * b, 1);
    const acc = new Float64Array(outSize).fill(identity(type.dtype));
    // A 0-d input is a 1-element row; an empty input leaves the identity in place.
    const shape = x.rank === 0 ? [1] : x.shape;
    const fold = x.dtype === 'i32' ? intCombine : combine;
    if (x.size > 0) loop(fold, x.storage!, shape, outputStrides(shape, x.rank === 0 ? [] : axes), acc);
    const out = allocate(type.dtype, outSize);
    out.set(acc);
    return makeTensor(type.shape, type.dtype, out);
  };
}

/** argmax/argmin: the position within the reduced axes (row-major) of the first extreme value; NaN wins. */
export function argKernel(
  better: (x: number, best: number) => boolean,
): (inputs: readonly Tensor[], attrs: ReduceAttrs, type: TensorType) => Tensor {
  return (inputs, { axes }, type) => {
    const x = inputs[0]!;
    const data = x.storage!;
    const outSize = type.shape.reduce((a, b) => a * b, 1);
    const best = new Float64Array(outSize).fill(NaN);
    const index = new Int32Array(outSize).fill(-1);
    const outStrides = outputStrides(x.shape, axes);
    const reducedDims = axes.map((a) => x.shape[a]!);
    const reducedStrides = stridesOf(reducedDims);
    const position = new Array<number>(x.rank).fill(0);
    for (let i = 0; i < data.length; i++) {
      let o = 0;
      let r = 0;
      for (let d = 0; d < x.rank; d++) o += position[d]! * outStrides[d]!;
      axes.forEach((a, k) => (r += position[a]! * reducedStrides[k]!));
      const v = data[i]!;
      const cur = best[o]!;
      if (index[o] === -1 || (cur === cur && (v !== v || better(v, cur)))) {
        best[o] = v;
        index[o] = r;
      }
      for (let d = x.rank - 1; d >= 0; d--) {
        if (++position[d]! < x.shape[d]!) break;
        position[d] = 0;
      }
    }
    return makeTensor(type.shape, 'i32', index);
  };
}
