/**
 * @file `kiln`: the one import for users. Re-exports the core API, trace() and the IR tools, and
 * makes the WebAssembly backend the default for trace(). Where compiles cannot run in a worker
 * thread (a browser, Kiln's own sources), importing it loads the code generator (binaryen, ~0.4 s).
 */
import { registerInternalSource } from '@kiln-jit/core';
import { setDefaultBackend } from '@kiln-jit/tracer';
import { offThreadCompileAvailable, ready } from '@kiln-jit/codegen-wasm';

export * from '@kiln-jit/core';
export * from '@kiln-jit/tracer';
export {
  ready,
  wasmBackend,
  wasmMemoryPolicy,
  compileGraph,
  sharedMemory,
  residentTensors,
  DEFAULT_READ_BUDGET,
  DEFAULT_RESIDENT_BUDGET,
  type ResidentStats,
  type CopyCounter,
  KilnMemoryLimitError,
  MAX_MEMORY_BYTES,
  runtimeFeatures,
  useRelaxedSimd,
  type RuntimeFeatures,
  type WasmStats,
  compileStats,
  offThreadCompileAvailable,
  getNumThreads,
  setNumThreads,
} from '@kiln-jit/codegen-wasm';

// Under Node the built package compiles in a worker thread on a compile-cache miss, so importing
// Kiln does not load Binaryen (~0.4 s, ~80 MB); elsewhere it is loaded here, once.
if (!offThreadCompileAvailable()) await ready();
setDefaultBackend('wasm');
// Last, after every Kiln module has run: in a bundle this call marks the end of Kiln's code, so
// the user's code after it keeps its source lines in errors and traced nodes.
registerInternalSource(import.meta.url);
