/**
 * @file The 'wasm' backend for trace(): registered with the tracer when this package loads.
 */
import { registerBackend, type Backend } from '@kiln-jit/tracer';
import { compileGraph } from './compile.ts';
import { wasmMemoryPolicy } from './memory-policy.ts';
import { plannedGraphCache } from './planned-graph-cache.ts';

export const wasmBackend: Backend = {
  name: 'wasm',
  stages: ['wat'],
  memoryPolicy: wasmMemoryPolicy,
  compile: compileGraph,
  plannedGraphs: plannedGraphCache,
};

registerBackend(wasmBackend);
