/**
 * @file x·y + z on f32x4 lanes, the step matmul tiles and the SIMD math polynomials repeat. Where
 * the module may use relaxed SIMD (WasmContext.fma) it is one `f32x4.relaxed_madd`, which V8
 * emits as a fused vfmadd where the CPU has one (one rounding instead of two, one instruction
 * and no product register), else a mul and an add; otherwise it is a mul and an add.
 */
import type { ExpressionRef } from './binaryen.ts';
import type { WasmContext } from './function-builder.ts';

/** x·y + z, fused where `ctx.fma` (the module then needs Features.RelaxedSIMD). */
export function mulAdd(ctx: WasmContext, x: ExpressionRef, y: ExpressionRef, z: ExpressionRef): ExpressionRef {
  if (!ctx.fma) return ctx.mod.f32x4.add(ctx.mod.f32x4.mul(x, y), z);
  // binaryen.js has no wrapper for relaxed_madd; this is the C API call its wrappers make.
  const capi = ctx.binaryen as unknown as { _BinaryenSIMDTernary(...args: number[]): ExpressionRef };
  return capi._BinaryenSIMDTernary(ctx.mod.ptr, ctx.binaryen.RelaxedMaddVecF32x4, x, y, z);
}
