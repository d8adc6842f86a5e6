/**
 * @file The data `kiln inspect` reports for one traced function: op counts at every stage, the
 * fusion groups with their member ops, the memory plan, kernel count and code size, and where the
 * time went (tracing, each pass, the backend's compile and Binaryen's share of it).
 */
import {
  formatLoc,
  formatType,
  kernelCount,
  memoryPlanOf,
  stageChanged,
  valueNames,
  type Graph,
  type Node,
  type TraceReport,
} from 'kiln-jit';
import { passStages } from './stages.ts';

export interface StageOps {
  readonly name: string;
  /** Top-level nodes of the graph (a fused group counts once). */
  readonly nodes: number;
  /** Top-level nodes per op, most frequent first. */
  readonly ops: Readonly<Record<string, number>>;
  readonly ms: number;
  /** Whether the pass changed the printed graph. */
  readonly changed: boolean;
}

export interface FusionGroup {
  /** The group's value in the fused graph: `%3`. */
  readonly value: string;
  /** `matmul`, `elementwise`, `rows` or `reduce`. */
  readonly kind: string;
  /** The ops of its body in order (constants left out). */
  readonly ops: readonly string[];
  readonly inputs: number;
  readonly type: string;
  readonly loc: string | null;
}

export interface PlannedBufferInfo {
  readonly offset: number;
  readonly bytes: number;
  /** Node index range during which it holds a live value. */
  readonly firstNode: number;
  readonly lastNode: number;
  /** The values that take turns in it. */
  readonly values: readonly string[];
}

export interface MemoryReport {
  readonly buffers: readonly PlannedBufferInfo[];
  /** Arena size: the most intermediate bytes live at once under the plan. */
  readonly peakBytes: number;
  /** What the intermediates would take with a buffer each. */
  readonly totalBytes: number;
  /** Values computed in place of an input that dies there. */
  readonly inPlace: number;
  /** Reshapes that are views of their input. */
  readonly views: number;
  /** Variables whose update is written straight into their storage. */
  readonly variablesInPlace: readonly string[];
}

export interface InspectReport {
  readonly function: string;
  readonly file: string;
  /** The traced arguments: `x: f32[32,784]`. */
  readonly arguments: readonly string[];
  /** Captured variables: `w1: f32[784,128]`. */
  readonly variables: readonly string[];
  readonly backend: string;
  readonly stages: readonly StageOps[];
  readonly fusionGroups: readonly FusionGroup[];
  readonly memory: MemoryReport | null;
  /** Nodes of the final graph that run as kernels (all but constants and reshape views). */
  readonly kernels: number;
  /** The backend's compiled code: kernel functions and module bytes (absent for the interpreter). */
  readonly wasm: {
    readonly kernels: number;
    readonly bytes: number;
    readonly frameBytes: number;
    /** Where the module came from: the persistent compile cache, or Binaryen (here or in the compile worker). */
    readonly compiledBy: 'cache' | 'binaryen' | 'compile worker';
    /** Where the planned graph came from: the persistent cache, or the passes. */
    readonly plannedBy: 'cache' | 'passes';
    /** Each kernel in call order, with the threads it uses at the current thread setting. */
    readonly kernelThreads: readonly { readonly op: string; readonly threads: number }[];
  } | null;
  readonly timings: {
    /** Running the function body with symbolic tensors (trace time less the passes). */
    readonly traceMs: number;
    readonly passesMs: Readonly<Record<string, number>>;
    readonly compileMs: number;
    /** Binaryen's part of the compile: building, validating+optimizing, instantiating. */
    readonly binaryen: { readonly buildMs: number; readonly optimizeMs: number; readonly instantiateMs: number } | null;
  };
}

function opCounts(graph: Graph): Record<string, number> {
  const counts = new Map<string, number>();
  for (const n of graph.nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}

function fusionGroups(graph: Graph, base: string): FusionGroup[] {
  const names = valueNames(graph);
  return graph.nodes
    .filter((n): n is Node & { body: Graph } => n.body !== null)
    .map((n) => ({
      value: names.get(n.output)!,
      kind: n.op.replace(/^fused\./, ''),
      ops: n.body.nodes.filter((m) => m.op !== 'constant').map((m) => m.op),
      inputs: n.inputs.length,
      type: formatType(n.output.type),
      loc: n.loc ? formatLoc(n.loc, base) : null,
    }));
}

function memoryReport(graph: Graph): MemoryReport | null {
  const plan = memoryPlanOf(graph);
  if (!plan) return null;
  const names = valueNames(graph);
  return {
    buffers: [...plan.buffers]
      .sort((a, b) => a.start - b.start)
      .map((b) => ({
        offset: b.offset,
        bytes: b.bytes,
        firstNode: b.start,
        lastNode: b.end,
        values: b.values.map((v) => names.get(v)!),
      })),
    peakBytes: plan.peakBytes,
    totalBytes: plan.totalBytes,
    inPlace: plan.inPlace.size,
    views: plan.aliases.size,
    variablesInPlace: [...plan.variablesInPlace].map((p) => p.name),
  };
}

const paramsOf = (graph: Graph, kind: string): string[] =>
  graph.params.filter((p) => p.kind === kind).map((p) => `${p.name}: ${formatType(p.value.type)}`);

/** Builds the report from what `.inspect()` returned; locations are relative to `base`. */
export function inspectReport(name: string, file: string, report: TraceReport, base = process.cwd()): InspectReport {
  const stages = passStages(report.stages);
  const final = stages.at(-1)!.graph;
  const fused = [...report.stages].reverse().find((s) => s.name === 'fused')?.graph ?? final;
  const stats = report.stats;
  const passesMs = Object.fromEntries(stages.slice(1).map((s) => [s.name, s.ms]));
  const passTotal = stages.reduce((sum, s) => sum + s.ms, 0);
  return {
    function: name,
    file,
    arguments: paramsOf(stages[0]!.graph, 'arg'),
    variables: paramsOf(stages[0]!.graph, 'var'),
    backend: report.backend,
    stages: stages.map((s, i) => ({
      name: s.name,
      nodes: s.graph.nodes.length,
      ops: opCounts(s.graph),
      ms: s.ms,
      changed: stageChanged(stages, i),
    })),
    fusionGroups: fusionGroups(fused, base),
    memory: memoryReport(final),
    kernels: kernelCount(final),
    wasm:
      stats.wasmBytes === undefined
        ? null
        : {
            kernels: stats.kernels ?? 0,
            bytes: stats.wasmBytes,
            frameBytes: stats.frameBytes ?? 0,
            compiledBy: stats.fromCache ? 'cache' : stats.offThread ? 'compile worker' : 'binaryen',
            plannedBy: stats.plannedFromCache ? 'cache' : 'passes',
            kernelThreads: report.kernels.map((x) => ({ op: x.op, threads: x.threads })),
          },
    timings: {
      traceMs: Math.max(0, report.traceMs - passTotal),
      passesMs,
      compileMs: report.compileMs,
      binaryen:
        stats.buildMs === undefined
          ? null
          : { buildMs: stats.buildMs, optimizeMs: stats.optimizeMs ?? 0, instantiateMs: stats.instantiateMs ?? 0 },
    },
  };
}
