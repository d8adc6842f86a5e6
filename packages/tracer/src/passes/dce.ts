/**
 * @file Dead-code elimination: results, variable updates and effects (print) are the roots;
 * nodes nothing needs are dropped, and so are captured constants nothing reads.
 */
import { withGraph, type Graph, type Value } from '../ir/graph.ts';

export function dce(graph: Graph): Graph {
  const live = new Set<Value>([...graph.results, ...graph.updates.map((u) => u.value)]);
  const keep = new Array<boolean>(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (!live.has(node.output) && node.op !== 'print') continue;
    keep[i] = true;
    for (const v of node.inputs) live.add(v);
  }
  const nodes = graph.nodes.filter((_, i) => keep[i]);
  const params = graph.params.filter((p) => p.kind !== 'const' || live.has(p.value));
  if (nodes.length === graph.nodes.length && params.length === graph.params.length) return graph;
  return withGraph(graph, { nodes, params });
}
