/**
 * @file The backend interface and registry. A backend turns an optimized graph into something
 * that runs it; the IR interpreter is always there, codegen-wasm registers 'wasm'.
 */
import { KilnArgumentError, type Tensor, type Variable } from '@kiln-jit/core';
import type { Graph } from './ir/graph.ts';
import type { MemoryPolicy } from './passes/memory-plan.ts';

export interface Executable {
  /**
   * Runs the graph. `args` are the graph's `arg` params in order, `variables` its `var` params in
   * order; the new values of updated variables are written into them (all or none: a failure
   * leaves every variable as it was). Returns the graph's results.
   */
  run(args: readonly Tensor[], variables: readonly Variable[]): Tensor[];
  /** Text of a backend-specific stage (codegen-wasm's `wat`), or undefined if it has none. */
  stage?(name: string): string | undefined;
  /** Facts for introspection (kernel count, code size, compile time). */
  readonly stats?: Readonly<Record<string, number>>;
  /** The kernels a call runs, in order, and how many threads each uses now (compiled backends). */
  kernels?(): readonly KernelInfo[];
  /** Releases what the executable holds (memory regions, compiled code). */
  dispose?(): void;
}

export interface KernelInfo {
  /** The node's op (`fused.elementwise`, `matmul`, ...). */
  readonly op: string;
  readonly threads: number;
}

export interface Backend {
  readonly name: string;
  /** Names of the backend-specific stages it can print. */
  readonly stages: readonly string[];
  /** The pass list it wants after tracing (the default pipeline if absent). */
  readonly passes?: readonly string[];
  /** How its kernels may share storage, for the memory planner (the default policy if absent). */
  readonly memoryPolicy?: MemoryPolicy;
  compile(graph: Graph): Executable;
  /** Keeps the pipeline's output across processes, so a graph planned before skips the passes. */
  readonly plannedGraphs?: PlannedGraphStore;
}

/**
 * Planned graphs kept by a backend (codegen-wasm: in its persistent cache), under a key of the
 * traced graph and the pipeline. Only the default pipeline is kept: a pass of the user's could
 * change without Kiln's version changing.
 */
export interface PlannedGraphStore {
  /** What the default pipeline made of a graph that prints as `traced` does, or null. */
  load(traced: Graph): Graph | null;
  /** Keeps `planned`, the default pipeline's output for `traced`. */
  save(traced: Graph, planned: Graph): void;
}

const backends = new Map<string, Backend>();
let defaultBackend = 'interpreter';

export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

export function getBackend(name: string): Backend {
  const b = backends.get(name);
  if (!b)
    throw new KilnArgumentError(`trace: unknown backend '${name}'; available: ${[...backends.keys()].join(', ')}`);
  return b;
}

export function availableBackends(): string[] {
  return [...backends.keys()];
}

/** Makes `name` the backend of every trace() that does not choose one. */
export function setDefaultBackend(name: string): void {
  getBackend(name);
  defaultBackend = name;
}

export function getDefaultBackend(): string {
  return defaultBackend;
}
