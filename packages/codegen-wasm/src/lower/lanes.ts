/**
 * @file How each dtype sits in a v128: f32 and i32 as four lanes, bool as four i32 masks (all
 * ones for true), and how to load and store four elements or one. bool tensors are one byte per
 * element in memory, so their loads widen and their stores narrow.
 */
import type { DType } from '@kiln-jit/core';
import type { ExpressionRef } from '../binaryen.ts';
import type { KernelBuilder } from './module-context.ts';

/** Bytes per element in memory. */
export function elementBytes(dtype: DType): number {
  return dtype === 'bool' ? 1 : 4;
}

function widenBools(b: KernelBuilder, bytes: ExpressionRef): ExpressionRef {
  const { mod } = b;
  return mod.i32x4.ne(mod.i32x4.extend_low_i16x8_u(mod.i16x8.extend_low_i8x16_u(bytes)), b.i32x4(0));
}

/** Four consecutive elements at ptr. */
export function loadVector(b: KernelBuilder, dtype: DType, ptr: ExpressionRef): ExpressionRef {
  return dtype === 'bool' ? widenBools(b, b.mod.v128.load32_zero(0, 1, ptr)) : b.mod.v128.load(0, 4, ptr);
}

/** One element at ptr, in every lane. */
export function loadSplat(b: KernelBuilder, dtype: DType, ptr: ExpressionRef): ExpressionRef {
  return dtype === 'bool' ? widenBools(b, b.mod.v128.load8_splat(0, 1, ptr)) : b.mod.v128.load32_splat(0, 4, ptr);
}

function narrowBools(b: KernelBuilder, mask: ExpressionRef): ExpressionRef {
  const { mod } = b;
  const ones = mod.v128.and(mask, b.i32x4(1));
  const halves = mod.i16x8.narrow_i32x4_u(ones, b.i32x4(0));
  return mod.i8x16.narrow_i16x8_u(halves, b.i32x4(0));
}

/** Stores the four lanes of value at ptr. */
export function storeVector(b: KernelBuilder, dtype: DType, ptr: ExpressionRef, value: ExpressionRef): ExpressionRef {
  return dtype === 'bool'
    ? b.mod.v128.store32_lane(0, 1, 0, ptr, narrowBools(b, value))
    : b.mod.v128.store(0, 4, ptr, value);
}

/** Stores lane 0 of value at ptr. */
export function storeOne(b: KernelBuilder, dtype: DType, ptr: ExpressionRef, value: ExpressionRef): ExpressionRef {
  return dtype === 'bool'
    ? b.mod.v128.store8_lane(0, 1, 0, ptr, narrowBools(b, value))
    : b.mod.v128.store32_lane(0, 4, 0, ptr, value);
}

/** A constant in every lane, in the dtype's lane form. */
export function splatConstant(b: KernelBuilder, dtype: DType, value: number): ExpressionRef {
  if (dtype === 'f32') return b.f32x4(value);
  if (dtype === 'i32') return b.i32x4(value);
  return b.i32x4(value ? -1 : 0);
}
