/**
 * @file The public types of trace(): its options, what a traced function offers besides being
 * called, and what it reports about its cache and retraces.
 */
import type { Stage } from '../passes/manager.ts';
import type { Graph } from '../ir/graph.ts';
import type { KernelInfo } from '../backend.ts';
import type { SignatureChange } from '../signature.ts';

export interface TraceOptions {
  /** Name of the graph (default: the function's name). */
  name?: string;
  /** Fixes the signature: a list parallel to the arguments of `{ shape, dtype }` specs (pytrees allowed). */
  inputSignature?: readonly unknown[];
  /** 'interpreter', or 'wasm' once codegen-wasm is loaded (the facade makes it the default). */
  backend?: string;
  /** Override the pass list (names of registered passes). */
  passes?: readonly string[];
  /** Cache bound: least recently used traces are dropped beyond it (default 64). */
  maxCacheEntries?: number;
  /**
   * The IR verifier: true after every pass; by default on the traced and the final graph (naming
   * the pass that broke it when that fails); false never. See PipelineOptions.verify.
   */
  verify?: boolean;
}

/** Why a trace happened. */
export interface RetraceRecord {
  /** 1-based index of the call that traced. */
  readonly call: number;
  readonly changes: readonly SignatureChange[];
  readonly message: string;
}

export interface CacheEntryInfo {
  readonly signature: string;
  readonly calls: number;
  readonly traceMs: number;
  readonly compiled: boolean;
  readonly stages: readonly string[];
}

/** What tracing and compiling one signature produced, for tools like the CLI. */
export interface TraceReport {
  readonly stages: readonly Stage[];
  /** Milliseconds spent tracing and running the passes. */
  readonly traceMs: number;
  /** Milliseconds spent in the backend's compile. */
  readonly compileMs: number;
  readonly backend: string;
  /** The backend's own figures (kernel count, code size, ...). */
  readonly stats: Readonly<Record<string, number>>;
  /** The compiled kernels in call order, with the threads each uses (empty for the interpreter). */
  readonly kernels: readonly KernelInfo[];
}

export interface TracedMethods {
  /** How many times the body has been traced. */
  readonly tracingCount: number;
  readonly cacheEntries: readonly CacheEntryInfo[];
  /** One record per retrace (not the first trace), saying which argument changed and how. */
  readonly retraceLog: readonly RetraceRecord[];
  /** Printed IR for these arguments (tensors or `{shape, dtype}` specs) at a stage; options last. */
  ir(...argsThenOptions: unknown[]): string;
  /** The optimized graph for these arguments (or specs). */
  lower(...args: unknown[]): Graph;
  /** Every stage of the pipeline for these arguments (or specs), with pass timings. */
  stages(...args: unknown[]): readonly Stage[];
  /** Traces and compiles for these arguments (or specs) and reports what that produced. */
  inspect(...args: unknown[]): TraceReport;
  /** Forgets every trace. */
  clearCache(): void;
  /** The traced JavaScript function. */
  readonly original: (...args: never[]) => unknown;
  readonly traceName: string;
  readonly options: Readonly<TraceOptions>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFn = (...args: any[]) => any;
export type Traced<F extends AnyFn> = F & TracedMethods;
