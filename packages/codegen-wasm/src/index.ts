/**
 * @file @kiln-jit/codegen-wasm: lowers optimized, fused, memory-planned graphs to WebAssembly SIMD
 * with Binaryen, and runs them in one shared WebAssembly.Memory.
 */
import { registerInternalSource } from '@kiln-jit/core';
import { binaryenLoaded, loadBinaryen } from './binaryen.ts';
import { cacheCounters, cacheDirectory } from './compile-cache.ts';
import { planCounters } from './planned-graph-cache.ts';
import { offThreadCounters } from './off-thread.ts';
import { getNumThreads } from './runtime/thread-settings.ts';
import { threadedCalls, threadWorkersStarted } from './runtime/thread-pool.ts';
import { warmUpCalls } from './compile.ts';

registerInternalSource(import.meta.url);

export { wasmBackend } from './backend.ts';
export { wasmMemoryPolicy } from './memory-policy.ts';
export { compileGraph, residentTensors, type WasmStats } from './compile.ts';
export {
  DEFAULT_READ_BUDGET,
  DEFAULT_RESIDENT_BUDGET,
  type ResidentStats,
  type ResidentTensors,
} from './runtime/resident.ts';
export { type CopyCounter } from './runtime/memory.ts';
export { loadBinaryen } from './binaryen.ts';
export { sharedMemory, KilnMemoryLimitError, MAX_MEMORY_BYTES, formatBytes } from './runtime/memory.ts';
export { simdMath, simdMathMaxError, type SimdMathName } from './simd-math.ts';

/** Resolves once the code generator (binaryen, ~0.3 s) is loaded; trace() with 'wasm' needs it. */
export function ready(): Promise<void> {
  return loadBinaryen().then(() => undefined);
}
export { getNumThreads, setNumThreads } from './runtime/thread-settings.ts';
export { runtimeFeatures, useRelaxedSimd, type RuntimeFeatures } from './runtime-features.ts';
export { offThreadCompileAvailable } from './off-thread.ts';

/** How compiling went in this process: the persistent cache, Binaryen, the compile worker. */
export function compileStats() {
  return {
    /** Whether Binaryen is loaded in this thread (never, when every trace hit the cache). */
    binaryenLoaded: binaryenLoaded(),
    /** The persistent cache's directory, or null when it is off here. */
    cacheDirectory: cacheDirectory(),
    cache: { ...cacheCounters },
    /** The planned-graph cache: traces that skipped the passes (hits), and entries written. */
    plans: { ...planCounters },
    offThread: { ...offThreadCounters },
    /** Threads traced calls use, and kernel workers started so far in this process. */
    threads: { count: getNumThreads(), workersStarted: threadWorkersStarted(), threadedCalls: threadedCalls() },
    /** Calls that ran a module's warm-up entry (its first calls: compile.ts). */
    warmUpCalls: warmUpCalls(),
  };
}
