/**
 * @file The choices code generation makes from the runtime, decided once here so that the module,
 * the compile worker (which receives them with each request) and the compile cache's key agree.
 */
import { nodeProcess } from './node-builtins.ts';
import { runtimeFeatures, useRelaxedSimd } from './runtime-features.ts';

export interface CodegenOptions {
  /** Emit relaxed-SIMD FMAs (see useRelaxedSimd); the module then needs an engine that has them. */
  readonly relaxedSimd: boolean;
  /** The module imports a shared memory, and kernels above `minParallelWork` are split. */
  readonly threads: boolean;
  /**
   * Work (multiply-adds, or elements times ops) below which a kernel runs on one thread. A split
   * costs a wake-up and a barrier (~5-20 µs with the workers awake, more when they sleep), and
   * small splits slowed the spirals demo's step (2-32-32-2 MLP) from ~330 to ~800 µs at 2^15.
   */
  readonly minParallelWork: number;
}

export const DEFAULT_MIN_PARALLEL_WORK = 1 << 18;

/**
 * This runtime's options. `KILN_PARALLEL_MIN_WORK` lowers the split threshold (tests set 0, so
 * that even small programs run split); shared memory needs SharedArrayBuffer (in browsers, a
 * cross-origin-isolated page).
 */
export function codegenOptions(): CodegenOptions {
  const raw = nodeProcess()?.env.KILN_PARALLEL_MIN_WORK;
  const min = raw !== undefined && raw !== '' && Number.isFinite(Number(raw)) ? Math.max(0, Number(raw)) : null;
  return {
    relaxedSimd: useRelaxedSimd(),
    threads: runtimeFeatures().threads,
    minParallelWork: min ?? DEFAULT_MIN_PARALLEL_WORK,
  };
}
