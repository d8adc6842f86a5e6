/**
 * @file x·y + z (and z - x·y) on f32x4 lanes, the step matmul tiles and SIMD-math polynomials repeat. Where the
 * module may use relaxed SIMD (WasmContext.fma) it is one `f32x4.relaxed_madd`, which V8 compiles
 * to a fused vfmadd on CPUs that have one (one rounding instead of two, one instruction, no
 * product register) and to a mul and an add on others. Elsewhere it is a mul and an add.
 */
import type { ExpressionRef } from './binaryen.ts';
import type { WasmContext } from './function-builder.ts';

/** x·y + z, fused where `ctx.fma` (the module then needs Features.RelaxedSIMD). */
export function mulAdd(ctx: WasmContext, x: ExpressionRef, y: ExpressionRef, z: ExpressionRef): ExpressionRef {
  if (!ctx.fma) return ctx.mod.f32x4.add(ctx.mod.f32x4.mul(x, y), z);
  return relaxedTernary(ctx, ctx.binaryen.RelaxedMaddVecF32x4, x, y, z);
}

/** z - x·y, fused where `ctx.fma` (`f32x4.relaxed_nmadd`). */
export function mulSub(ctx: WasmContext, x: ExpressionRef, y: ExpressionRef, z: ExpressionRef): ExpressionRef {
  if (!ctx.fma) return ctx.mod.f32x4.sub(z, ctx.mod.f32x4.mul(x, y));
  return relaxedTernary(ctx, ctx.binaryen.RelaxedNmaddVecF32x4, x, y, z);
}

function relaxedTernary(ctx: WasmContext, op: number, x: ExpressionRef, y: ExpressionRef, z: ExpressionRef) {
  // binaryen.js has no wrapper for the relaxed ternaries; this is the C API call its wrappers make.
  const capi = ctx.binaryen as unknown as { _BinaryenSIMDTernary(...args: number[]): ExpressionRef };
  return capi._BinaryenSIMDTernary(ctx.mod.ptr, op, x, y, z);
}
