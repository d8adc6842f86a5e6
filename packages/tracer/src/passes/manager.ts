/**
 * @file The pass manager: runs named `Graph -> Graph` passes in order, verifying after each, and
 * keeps every intermediate graph as a named stage for `.ir()` and the CLI.
 */
import { KilnArgumentError } from '@kiln-jit/core';
import type { Graph } from '../ir/graph.ts';
import { verifyGraph } from '../ir/verifier.ts';
import { printGraph } from '../ir/printer.ts';

export type Pass = (graph: Graph) => Graph;

export interface Stage {
  readonly name: string;
  readonly graph: Graph;
  /** Milliseconds the pass took (0 for the traced graph and aliases). */
  readonly ms: number;
}

const registry = new Map<string, Pass>();

export function registerPass(name: string, pass: Pass): void {
  registry.set(name, pass);
}

export function passNames(): string[] {
  return [...registry.keys()];
}

/** The standard pipeline; filled in by the pass modules as they register. */
export const DEFAULT_PASSES: string[] = [];

/** Stage names that alias the graph at a point in the pipeline. */
export const ALIAS_STAGES = ['traced', 'optimized', 'fused', 'planned'] as const;

function lookup(name: string): Pass {
  const pass = registry.get(name);
  if (!pass) throw new KilnArgumentError(`unknown pass '${name}'; known passes: ${passNames().join(', ')}`);
  return pass;
}

/**
 * Runs `passes` over `graph`. Returns the stages in order: `traced`, one per pass (named after it),
 * and the aliases `optimized` (before fusion), `fused` and `planned`.
 */
export function runPipeline(graph: Graph, passes: readonly string[], options: { verify?: boolean } = {}): Stage[] {
  const stages: Stage[] = [{ name: 'traced', graph, ms: 0 }];
  let current = graph;
  if (options.verify !== false) verifyGraph(current);
  for (const name of passes) {
    const pass = lookup(name);
    if (name === 'fuse') stages.push({ name: 'optimized', graph: current, ms: 0 });
    const t0 = performance.now();
    current = pass(current);
    const ms = performance.now() - t0;
    if (options.verify !== false) verifyGraph(current);
    stages.push({ name, graph: current, ms });
    if (name === 'fuse') stages.push({ name: 'fused', graph: current, ms: 0 });
    if (name === 'planMemory') stages.push({ name: 'planned', graph: current, ms: 0 });
  }
  if (!stages.some((s) => s.name === 'optimized')) stages.push({ name: 'optimized', graph: current, ms: 0 });
  return stages;
}

/** Whether a stage differs from the one before it, by printed text. */
export function stageChanged(stages: readonly Stage[], index: number): boolean {
  return index > 0 && printGraph(stages[index]!.graph) !== printGraph(stages[index - 1]!.graph);
}
