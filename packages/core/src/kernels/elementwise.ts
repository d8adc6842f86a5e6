/**
 * @file Eager kernels of the elementwise ops: a scalar function per op, applied by loops that
 * handle NumPy broadcasting with fast paths for equal shapes and scalars.
 */
import { allocate, truncSat, type TypedArray } from '../dtype.ts';
import type { Tensor } from '../tensor.ts';
import { makeTensor } from '../tensor.ts';
import { broadcastStrides, shapesEqual } from '../shape.ts';
import type { TensorType } from '../ops/shape-rules.ts';
import { UNARY_OPS, BINARY_OPS, type BinaryOp, type OpAttrs, type UnaryOp } from '../ops/names.ts';
import { specialize } from './specialize.ts';
import {
  erf,
  floorMod,
  geluErf,
  geluTanh,
  intFloorDiv,
  intFloorMod,
  roundHalfEven,
  sigmoid,
  softplus,
} from './scalar-math.ts';

type UnaryFn = (x: number, attrs: never) => number;
type BinaryFn = (a: number, b: number) => number | boolean;

/** Each unary op on one element, in double precision; storing into the output rounds it. */
export const unaryScalar: { [K in UnaryOp]: (x: number, attrs: OpAttrs[K]) => number } = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: Math.sign,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  square: (x) => x * x,
  reciprocal: (x) => 1 / x,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid,
  relu: (x) => Math.max(x, 0), // Math.max keeps NaN, as PyTorch's relu does
  leakyRelu: (x, { alpha }) => (x > 0 ? x : alpha * x),
  gelu: (x, { approximate }) => (approximate ? geluTanh(x) : geluErf(x)),
  erf,
  softplus,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  logicalNot: (x) => (x === 0 ? 1 : 0),
  stopGradient: (x) => x,
};

/** Unary ops whose i32 form differs: x * x in double precision is inexact past 2^26, Math.imul wraps like i32. */
const unaryIntScalar: Partial<Record<UnaryOp, UnaryFn>> = {
  square: (x) => Math.imul(x, x),
};

interface BinaryScalar {
  f32: BinaryFn;
  i32?: BinaryFn;
}

/** Each binary op on one pair of elements; `i32` overrides where integer semantics differ. */
export const binaryScalar: Record<BinaryOp, BinaryScalar> = {
  add: { f32: (a, b) => a + b },
  sub: { f32: (a, b) => a - b },
  mul: { f32: (a, b) => a * b, i32: Math.imul },
  div: { f32: (a, b) => a / b, i32: intFloorDiv },
  pow: { f32: Math.pow },
  maximum: { f32: Math.max },
  minimum: { f32: Math.min },
  mod: { f32: floorMod, i32: intFloorMod },
  equal: { f32: (a, b) => a === b },
  notEqual: { f32: (a, b) => a !== b },
  less: { f32: (a, b) => a < b },
  lessEqual: { f32: (a, b) => a <= b },
  greater: { f32: (a, b) => a > b },
  greaterEqual: { f32: (a, b) => a >= b },
  logicalAnd: { f32: (a, b) => a !== 0 && b !== 0 },
  logicalOr: { f32: (a, b) => a !== 0 || b !== 0 },
};

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

const unaryLoops = Object.fromEntries(UNARY_OPS.map((op) => [op, specialize(unaryLoop)])) as Record<
  UnaryOp,
  typeof unaryLoop
>;
const binaryLoops = Object.fromEntries(
  BINARY_OPS.flatMap((op) => [
    [`${op}:f32`, specialize(binaryLoop)],
    [`${op}:i32`, specialize(binaryLoop)],
  ]),
) as Record<string, typeof binaryLoop>;

export function unaryKernel<K extends UnaryOp>(
  op: K,
): (inputs: readonly Tensor[], attrs: OpAttrs[K], out: TensorType) => Tensor {
  const f = unaryScalar[op] as UnaryFn;
  const fInt = unaryIntScalar[op] ?? f;
  const loop = unaryLoops[op];
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

/** Applies a binary scalar function over two broadcast inputs into `out`. */
export function applyBinary(op: BinaryOp, a: Tensor, b: Tensor, out: TypedArray, outShape: readonly number[]): void {
  const intSemantics = a.dtype === 'i32' && binaryScalar[op].i32 !== undefined;
  const f = intSemantics ? binaryScalar[op].i32! : binaryScalar[op].f32;
  const loop = binaryLoops[`${op}:${intSemantics ? 'i32' : 'f32'}`]!;
  const mode = broadcastMode(a, b, outShape);
  const aStrides = mode === 3 ? broadcastStrides(a.shape, outShape) : [];
  const bStrides = mode === 3 ? broadcastStrides(b.shape, outShape) : [];
  loop(f, a.storage!, b.storage!, out, mode, outShape, aStrides, bStrides);
}

export function binaryKernel(op: BinaryOp): (inputs: readonly Tensor[], attrs: unknown, out: TensorType) => Tensor {
  return (inputs, _attrs, type) => {
    const out = allocate(
      type.dtype,
      type.shape.reduce((x, y) => x * y, 1),
    );
    if (out.length > 0) applyBinary(op, inputs[0]!, inputs[1]!, out, type.shape);
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
