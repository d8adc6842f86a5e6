/**
 * @file x·y + z on f32x4 lanes, the step matmul tiles and SIMD-math polynomials repeat. Where the
 * module may use relaxed SIMD (WasmContext.fma) it is one `f32x4.relaxed_madd`, which V8 compiles
 * to a fused vfmadd on CPUs that have one (one rounding instead of two, one instruction, no
 * product register) and to a mul and an add on others. Elsewhere it is a mul and an add.
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
