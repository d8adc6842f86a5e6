/**
 * @file Eager kernels of the elementwise ops: a scalar function per op, applied by loops that
 * handle NumPy broadcasting with fast paths for equal shapes and scalars.
 */
import { allocate, truncSat, type TypedArray } from '../dtype.ts';
import type { Tensor } from '../tensor.ts';
import { makeTensor } from '../tensor.ts';
import { broadcastStrides, shapesEqual } from '../shape.ts';
import type { TensorType } from '../ops/rules.ts';
import type { OpAttrs } from '../ops/names.ts';
import { specialize } from './specialize.ts';

/** An elementwise op on one element (attributes last), in double precision. */
export type UnaryFn = (x: number, attrs: never) => number;
/** A binary op on one pair of elements; booleans are stored as 0/1. */
export type BinaryFn = (a: number, b: number) => number | boolean;

function unaryLoop(f: UnaryFn, x: TypedArray, out: TypedArray, attrs: never): void {
  for (let i = 0; i < x.length; i++) out[i] = f(x[i]!, attrs);
}

/**
 * out[i] = f(a[..], b[..]) over the broadcast output shape. `mode` picks a fast path:
 * 0 equal shapes, 1 scalar b, 2 scalar a, 3 general strides (inner loop over the last axis).
 */
function binaryLoop(
  f: BinaryFn,
  a: TypedArray,
  b: TypedArray,
  out: TypedArray,
  mode: number,
  shape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
): void {
  const n = out.length;
  if (mode === 0) {
    for (let i = 0; i < n; i++) out[i] = +f(a[i]!, b[i]!);
  } else if (mode === 1) {
    const bv = b[0]!;
    for (let i = 0; i < n; i++) out[i] = +f(a[i]!, bv);
  } else if (mode === 2) {
    const av = a[0]!;
    for (let i = 0; i < n; i++) out[i] = +f(av, b[i]!);
  } else {
    const rank = shape.length;
    const inner = shape[rank - 1]!;
    const sa = aStrides[rank - 1]!;
    const sb = bStrides[rank - 1]!;
    const index = new Array<number>(rank).fill(0);
    let ao = 0;
    let bo = 0;
    for (let o = 0; o < n; o += inner) {
      for (let j = 0; j < inner; j++) out[o + j] = +f(a[ao + j * sa]!, b[bo + j * sb]!);
      for (let d = rank - 2; d >= 0; d--) {
        ao += aStrides[d]!;
        bo += bStrides[d]!;
        if (++index[d]! < shape[d]!) break;
        ao -= aStrides[d]! * shape[d]!;
        bo -= bStrides[d]! * shape[d]!;
        index[d] = 0;
      }
    }
  }
}

/**
 * The eager kernel of a unary op from its scalar function (and its i32 form, where that differs).
 * Each kernel gets its own copy of the loop, so the call of `f` stays monomorphic.
 */
export function unaryKernel(
  f: UnaryFn,
  fInt: UnaryFn = f,
): (inputs: readonly Tensor[], attrs: unknown, out: TensorType) => Tensor {
  const loop = specialize(unaryLoop);
  return (inputs, attrs, type) => {
    const out = allocate(type.dtype, inputs[0]!.size);
    loop(type.dtype === 'i32' ? fInt : f, inputs[0]!.storage!, out, attrs as never);
    return makeTensor(type.shape, type.dtype, out);
  };
}

/** Picks the fastest loop mode for inputs of these shapes. */
function broadcastMode(a: TensorType, b: TensorType, outShape: readonly number[]): number {
  if (shapesEqual(a.shape, b.shape)) return 0;
  const aSize = a.shape.reduce((x, y) => x * y, 1);
  const bSize = b.shape.reduce((x, y) => x * y, 1);
  if (bSize === 1 && aSize === outShape.reduce((x, y) => x * y, 1)) return 1;
  if (aSize === 1 && bSize === outShape.reduce((x, y) => x * y, 1)) return 2;
  return 3;
}

/** A binary op's scalar function, with an i32 form where integer semantics differ. */
export interface BinaryScalar {
  f32: BinaryFn;
  i32?: BinaryFn;
}

/** The eager kernel of a binary op from its scalar functions; each dtype form gets its own loop copy. */
export function binaryKernel({
  f32,
  i32,
}: BinaryScalar): (inputs: readonly Tensor[], attrs: unknown, out: TensorType) => Tensor {
  const floatLoop = specialize(binaryLoop);
  const intLoop = i32 ? specialize(binaryLoop) : floatLoop;
  return (inputs, _attrs, type) => {
    const [a, b] = inputs as [Tensor, Tensor];
    const out = allocate(
      type.dtype,
      type.shape.reduce((x, y) => x * y, 1),
    );
    if (out.length === 0) return makeTensor(type.shape, type.dtype, out);
    const intSemantics = a.dtype === 'i32' && i32 !== undefined;
    const mode = broadcastMode(a, b, type.shape);
    const aStrides = mode === 3 ? broadcastStrides(a.shape, type.shape) : [];
    const bStrides = mode === 3 ? broadcastStrides(b.shape, type.shape) : [];
    const loop = intSemantics ? intLoop : floatLoop;
    loop(intSemantics ? i32 : f32, a.storage!, b.storage!, out, mode, type.shape, aStrides, bStrides);
    return makeTensor(type.shape, type.dtype, out);
  };
}

/** where(cond, a, b): broadcast all three, then pick per element. */
export function whereKernel(inputs: readonly Tensor[], _attrs: unknown, type: TensorType): Tensor {
  const [cond, a, b] = inputs as [Tensor, Tensor, Tensor];
  const n = type.shape.reduce((x, y) => x * y, 1);
  const out = allocate(type.dtype, n);
  const c = cond.storage!;
  const av = a.storage!;
  const bv = b.storage!;
  if (shapesEqual(cond.shape, type.shape) && shapesEqual(a.shape, type.shape) && shapesEqual(b.shape, type.shape)) {
    for (let i = 0; i < n; i++) out[i] = c[i] ? av[i]! : bv[i]!;
  } else {
    const cs = broadcastStrides(cond.shape, type.shape);
    const as = broadcastStrides(a.shape, type.shape);
    const bs = broadcastStrides(b.shape, type.shape);
    const rank = type.shape.length;
    for (let i = 0; i < n; i++) {
      let rest = i;
      let ci = 0;
      let ai = 0;
      let bi = 0;
      for (let d = rank - 1; d >= 0; d--) {
        const dim = type.shape[d]!;
        const k = rest % dim;
        rest = (rest - k) / dim;
        ci += k * cs[d]!;
        ai += k * as[d]!;
        bi += k * bs[d]!;
      }
      out[i] = c[ci] ? av[ai]! : bv[bi]!;
    }
  }
  return makeTensor(type.shape, type.dtype, out);
}

/** cast: f32 -> i32 truncates (saturating); anything -> bool is `!= 0`. */
export function castKernel(inputs: readonly Tensor[], attrs: OpAttrs['cast'], type: TensorType): Tensor {
  const x = inputs[0]!;
  if (x.dtype === attrs.dtype) return makeTensor(x.shape, x.dtype, x.storage!);
  const src = x.storage!;
  const out = allocate(type.dtype, x.size);
  if (type.dtype === 'bool') for (let i = 0; i < src.length; i++) out[i] = src[i] !== 0 ? 1 : 0;
  else if (type.dtype === 'i32') for (let i = 0; i < src.length; i++) out[i] = truncSat(src[i]!);
  else out.set(src);
  return makeTensor(type.shape, type.dtype, out);
}
