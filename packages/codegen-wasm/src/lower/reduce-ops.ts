/**
 * @file Combining accumulators for the folding reductions (sum, prod, max, min), as vectors and
 * as scalars, for f32 and i32. max and min keep NaN, as the eager kernels do. Which reductions
 * fold, and the identity they start from, are core's (isFoldOp, reduceIdentity).
 */
import type { DType, FoldOp } from '@kiln-jit/core';
import type { ExpressionRef } from '../binaryen.ts';
import type { KernelBuilder } from './module-context.ts';

/**
 * Combines an accumulator with `x` (a getter: f32 max and min read it twice). f32 max and min
 * are pmax/pmin (one maxps/minps; f32x4.max and min are ~8 instructions in V8, a long chain
 * through the accumulator) with NaN kept by hand: an accumulator that is NaN stays NaN, as
 * pmax(acc, x) returns acc when the compare fails, and a NaN x sets every bit of its lane (a NaN)
 * through the unordered compare, which is off the accumulator's chain. Of equal zeros the
 * accumulator's is kept, as the eager fold keeps the first.
 */
export function combineVector(
  b: KernelBuilder,
  op: FoldOp,
  dtype: DType,
  acc: ExpressionRef,
  x: () => ExpressionRef,
): ExpressionRef {
  const { mod } = b;
  if (dtype !== 'f32')
    return { sum: mod.i32x4.add, prod: mod.i32x4.mul, max: mod.i32x4.max_s, min: mod.i32x4.min_s }[op](acc, x());
  if (op === 'sum') return mod.f32x4.add(acc, x());
  if (op === 'prod') return mod.f32x4.mul(acc, x());
  const extreme = op === 'max' ? mod.f32x4.pmax(acc, x()) : mod.f32x4.pmin(acc, x());
  return mod.v128.or(extreme, mod.f32x4.ne(x(), x()));
}

/** Combines two scalars; `a` and `b` are getters because i32 max/min read them twice. */
export function combineScalar(
  k: KernelBuilder,
  op: FoldOp,
  dtype: DType,
  a: () => ExpressionRef,
  b: () => ExpressionRef,
): ExpressionRef {
  const { mod } = k;
  if (dtype === 'f32') return { sum: mod.f32.add, prod: mod.f32.mul, max: mod.f32.max, min: mod.f32.min }[op](a(), b());
  if (op === 'sum') return mod.i32.add(a(), b());
  if (op === 'prod') return mod.i32.mul(a(), b());
  const pickA = op === 'max' ? mod.i32.gt_s(a(), b()) : mod.i32.lt_s(a(), b());
  return mod.select(pickA, a(), b());
}

/** Lane 0 (or lane i) of a vector as a scalar of the dtype. */
export function lane(b: KernelBuilder, dtype: DType, v: ExpressionRef, i = 0): ExpressionRef {
  return dtype === 'f32' ? b.mod.f32x4.extract_lane(v, i) : b.mod.i32x4.extract_lane(v, i);
}

export function splatScalar(b: KernelBuilder, dtype: DType, x: ExpressionRef): ExpressionRef {
  return dtype === 'f32' ? b.mod.f32x4.splat(x) : b.mod.i32x4.splat(x);
}

export function scalarType(b: KernelBuilder, dtype: DType): number {
  return dtype === 'f32' ? b.binaryen.f32 : b.binaryen.i32;
}

export function scalarConst(b: KernelBuilder, dtype: DType, x: number): ExpressionRef {
  return dtype === 'f32' ? b.mod.f32.const(x) : b.i32(x);
}
