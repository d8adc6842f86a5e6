/**
 * @file The reference backend: runs the graph with the IR interpreter on core's eager kernels.
 */
import type { Tensor, Variable } from '@kiln-jit/core';
import { registerBackend, type Backend, type Executable } from './backend.ts';
import type { Graph } from './ir/graph.ts';
import { interpretGraph } from './interpreter.ts';

/** Binds graph params to this call's arguments, variables and captured constants. */
export function bindParams(graph: Graph, args: readonly Tensor[], variables: readonly Variable[]): Tensor[] {
  let a = 0;
  let v = 0;
  return graph.params.map((p) => (p.kind === 'arg' ? args[a++]! : p.kind === 'var' ? variables[v++]!.read() : p.data!));
}

function compile(graph: Graph): Executable {
  const varIndex = new Map(graph.params.filter((p) => p.kind === 'var').map((p, i) => [p, i]));
  return {
    run(args, variables) {
      const { results, updates } = interpretGraph(graph, bindParams(graph, args, variables));
      // Everything is computed before any variable is written, so a failure changes nothing.
      graph.updates.forEach((u, i) => variables[varIndex.get(u.target)!]!.write(updates[i]!));
      return results;
    },
  };
}

export const interpreterBackend: Backend = { name: 'interpreter', stages: [], compile };

registerBackend(interpreterBackend);
