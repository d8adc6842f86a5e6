/**
 * @file The walk most passes share: visit nodes in order with their inputs already renamed, and
 * let a rule keep the node, replace its value by another, or emit new nodes in its place.
 */
import type { SourceLocation, TensorType } from '@kiln-jit/core';
import { GraphBuilder, nodeOutputs, type Attrs, type Graph, type Node, type Value, withGraph } from '../ir/graph.ts';

export interface RewriteContext {
  /** The node defining `v` in the graph being built (null for params and unknown values). */
  def(v: Value): Node | null;
  /** Appends a new node and returns its value. */
  emit(
    op: string,
    inputs: readonly Value[],
    attrs: Attrs,
    type: TensorType,
    loc?: SourceLocation | null,
    body?: Graph | null,
  ): Value;
}

/** What a rule decides for one node: keep it (null) or use another value in its place. */
export type NodeRewrite = (node: Node, ctx: RewriteContext) => Value | null;

/** Rebuilds `graph`, calling `rewrite` on each node (inputs renamed). Returns the same graph if nothing changed. */
export function rewriteNodes(graph: Graph, rewrite: NodeRewrite): Graph {
  const renamed = new Map<Value, Value>();
  const defs = new Map<Value, Node>();
  const nodes: Node[] = [];
  const builder = new GraphBuilder(graph.name);
  let changed = false;
  const push = (node: Node): void => {
    nodes.push(node);
    for (const v of nodeOutputs(node)) defs.set(v, node);
  };
  const ctx: RewriteContext = {
    def: (v) => defs.get(v) ?? null,
    emit: (op, inputs, attrs, type, loc = null, body = null) => {
      const output = builder.newValue(type);
      push({ op, inputs: [...inputs], attrs, output, loc, body });
      return output;
    },
  };
  const rename = (v: Value): Value => renamed.get(v) ?? v;
  for (const node of graph.nodes) {
    const inputs = node.inputs.map(rename);
    const current = inputs.some((v, i) => v !== node.inputs[i]) ? { ...node, inputs } : node;
    if (current !== node) changed = true;
    const replacement = rewrite(current, ctx);
    if (replacement === null) push(current);
    else {
      renamed.set(node.output, replacement);
      changed = true;
    }
  }
  if (!changed) return graph;
  return withGraph(graph, {
    nodes,
    results: graph.results.map(rename),
    updates: graph.updates.map((u) => ({ target: u.target, value: rename(u.value) })),
  });
}

/** Applies `pass` until the graph stops changing (at most `limit` times). */
export function toFixpoint(graph: Graph, pass: (g: Graph) => Graph, limit = 8): Graph {
  for (let i = 0; i < limit; i++) {
    const next = pass(graph);
    if (next === graph) return graph;
    graph = next;
  }
  return graph;
}

/** Rebuilds `graph` with `fn` applied to every region of its control-flow nodes (same graph if none changed). */
export function mapRegions(graph: Graph, fn: (region: Graph) => Graph): Graph {
  let changed = false;
  const nodes = graph.nodes.map((node) => {
    if (!node.regions) return node;
    const regions = node.regions.map(fn);
    if (regions.every((r, i) => r === node.regions![i])) return node;
    changed = true;
    return { ...node, regions };
  });
  return changed ? withGraph(graph, { nodes }) : graph;
}

/** `pass` extended to run on every region too, innermost first, then on the graph itself. */
export function intoRegions<A extends unknown[]>(
  pass: (graph: Graph, ...rest: A) => Graph,
): (graph: Graph, ...rest: A) => Graph {
  const run = (graph: Graph, ...rest: A): Graph =>
    pass(
      mapRegions(graph, (r) => run(r, ...rest)),
      ...rest,
    );
  return run;
}
