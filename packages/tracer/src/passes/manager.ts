/**
 * @file The pass manager: runs named `Graph -> Graph` passes in order, verifying the result, and
 * keeps every intermediate graph as a named stage for `.ir()` and the CLI. A pass may name alias
 * stages (fuse: `optimized` before it, `fused` after), so the manager knows no pass by name.
 */
import { KilnArgumentError } from '@kiln-jit/core';
import type { Graph } from '../ir/graph.ts';
import { KilnVerifyError, verifyGraph } from '../ir/verifier.ts';
import { printGraph } from '../ir/printer.ts';
import { defaultMemoryPolicy, type MemoryPolicy } from './memory-plan.ts';

/** What a pass may know of the backend the graph is for. */
export interface PassContext {
  /** How the backend's kernels may share storage (the memory planner's input). */
  readonly memoryPolicy: MemoryPolicy;
}

/** A pure function of the graph and the target's facts. */
export type Pass = (graph: Graph, context: PassContext) => Graph;

/** Alias stages a pass marks: the graph just before it runs, and its output. */
export interface PassStages {
  readonly before?: string;
  readonly after?: string;
}

export interface Stage {
  readonly name: string;
  readonly graph: Graph;
  /** Milliseconds the pass took (0 for the traced graph and aliases). */
  readonly ms: number;
}

/** The graph after the clean-up passes, before any pass that marks it; `.ir()` shows it by default. */
export const OPTIMIZED_STAGE = 'optimized';

const registry = new Map<string, { run: Pass; stages: PassStages }>();

export function registerPass(name: string, run: Pass, stages: PassStages = {}): void {
  registry.set(name, { run, stages });
}

export function passNames(): string[] {
  return [...registry.keys()];
}

/** Names of the alias stages (`optimized`, and those the registered passes mark). */
export function aliasStageNames(): string[] {
  const marked = [...registry.values()].flatMap(({ stages }) => [stages.before, stages.after]);
  return [...new Set([OPTIMIZED_STAGE, ...marked.filter((s): s is string => s !== undefined)])];
}

/** The standard pipeline; filled in by the pass modules as they register. */
export const DEFAULT_PASSES: string[] = [];

function lookup(name: string): { run: Pass; stages: PassStages } {
  const pass = registry.get(name);
  if (!pass) throw new KilnArgumentError(`unknown pass '${name}'; known passes: ${passNames().join(', ')}`);
  return pass;
}

export interface PipelineOptions {
  /**
   * The IR verifier. true: on the input and after every pass. Default: on the input and the final
   * graph, which is as sure and costs a process's first trace less; when that check fails, or a
   * pass throws, the stages between are checked to name the pass that broke the graph.
   * `KILN_VERIFY=each` makes every pipeline verify each pass (the test suite sets it). false: none.
   */
  verify?: boolean;
  /** The target backend's memory policy (default: defaultMemoryPolicy). */
  memoryPolicy?: MemoryPolicy;
}

/**
 * Runs `passes` over `graph`. Returns the stages in order: `traced`, one per pass (named after it),
 * and the alias stages the passes mark; `optimized` is the final graph if no pass marks it.
 */
export function runPipeline(graph: Graph, passes: readonly string[], options: PipelineOptions = {}): Stage[] {
  const context: PassContext = { memoryPolicy: options.memoryPolicy ?? defaultMemoryPolicy };
  const mode = verifyMode(options.verify);
  const stages: Stage[] = [{ name: 'traced', graph, ms: 0 }];
  let current = graph;
  if (mode !== 'off') verifyGraph(current);
  for (const name of passes) {
    const { run, stages: marks } = lookup(name);
    if (marks.before) stages.push({ name: marks.before, graph: current, ms: 0 });
    const t0 = performance.now();
    try {
      current = run(current, context);
    } catch (e) {
      // A pass may trip over a graph an earlier pass broke: that pass is the one to name.
      if (mode === 'ends') verifyEach(stages, passes);
      throw e;
    }
    const ms = performance.now() - t0;
    if (mode === 'each') verifyAfter(name, current);
    stages.push({ name, graph: current, ms });
    if (marks.after) stages.push({ name: marks.after, graph: current, ms: 0 });
  }
  if (mode === 'ends' && passes.length > 0) {
    try {
      verifyGraph(current);
    } catch (e) {
      verifyEach(stages, passes);
      throw e;
    }
  }
  if (!stages.some((s) => s.name === OPTIMIZED_STAGE)) stages.push({ name: OPTIMIZED_STAGE, graph: current, ms: 0 });
  return stages;
}

/** Whether pipelines verify after every pass here (`KILN_VERIFY=each`, as the test suite sets). */
export function verifiesEachPass(): boolean {
  return verifyMode(undefined) === 'each';
}

function verifyMode(verify: boolean | undefined): 'each' | 'ends' | 'off' {
  if (verify === false) return 'off';
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.KILN_VERIFY;
  return verify === true || env === 'each' ? 'each' : 'ends';
}

/** Verifies a pass's output; a failure names the pass. */
function verifyAfter(pass: string, graph: Graph): void {
  try {
    verifyGraph(graph);
  } catch (e) {
    if (!(e instanceof KilnVerifyError)) throw e;
    throw new KilnVerifyError(`${e.detail} (after pass '${pass}')`, null, { cause: e });
  }
}

/** Verifies every pass's stage in order: the first that fails throws, naming its pass. */
function verifyEach(stages: readonly Stage[], passes: readonly string[]): void {
  for (const stage of stages) if (passes.includes(stage.name)) verifyAfter(stage.name, stage.graph);
}

/** Whether a stage differs from the one before it, by printed text. */
export function stageChanged(stages: readonly Stage[], index: number): boolean {
  return index > 0 && printGraph(stages[index]!.graph) !== printGraph(stages[index - 1]!.graph);
}
