/**
 * @file Dead-code elimination: results, variable updates and effects (print) are the roots;
 * nodes nothing needs are dropped, and so are captured constants nothing reads.
 */
import { nodeOutputs, useCounts, withGraph, type Graph, type Node, type Value } from '../ir/graph.ts';
import { isRegionOp, type RegionOp } from '../ir/regions.ts';
import { intoRegions } from './rewrite.ts';

/** Whether running `node` has an effect beyond its outputs (a print, here or in a region). */
function hasEffect(node: Node): boolean {
  return node.op === 'print' || (node.regions ?? []).some((r) => r.nodes.some(hasEffect));
}

/** Index of a region node's first capture input; region params line up with inputs from there. */
const firstCapture: { readonly [K in RegionOp]: (node: Node) => number } = {
  cond: () => 1,
  while: (node) => node.attrs.carried as number,
  scan: (node) => (node.attrs.carried as number) + (node.attrs.sliced as number),
};

/** The region param that stands for input `i` (cond's regions have no param for the predicate). */
const paramOffset = (node: Node): number => (node.op === 'cond' ? 1 : 0);

/** Drops captures that no region of `node` reads any more (after DCE inside the regions). */
function pruneCaptures(node: Node): Node {
  if (!isRegionOp(node.op)) return node;
  const regions = node.regions!;
  const first = firstCapture[node.op](node);
  const offset = paramOffset(node);
  const uses = regions.map(useCounts);
  const dead = new Set<number>();
  for (let i = first; i < node.inputs.length; i++) {
    if (regions.every((r, j) => !uses[j]!.get(r.params[i - offset]!.value))) dead.add(i);
  }
  if (dead.size === 0) return node;
  return {
    ...node,
    inputs: node.inputs.filter((_, i) => !dead.has(i)),
    regions: regions.map((r) => withGraph(r, { params: r.params.filter((_, p) => !dead.has(p + offset)) })),
  };
}

function dropDead(graph: Graph): Graph {
  const live = new Set<Value>([...graph.results, ...graph.updates.map((u) => u.value)]);
  const kept: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const original = graph.nodes[i]!;
    if (!nodeOutputs(original).some((v) => live.has(v)) && !hasEffect(original)) continue;
    const node = pruneCaptures(original);
    kept.push(node);
    for (const v of node.inputs) live.add(v);
  }
  const nodes = kept.reverse();
  const params = graph.params.filter((p) => p.kind !== 'const' || live.has(p.value));
  const same = nodes.length === graph.nodes.length && nodes.every((n, i) => n === graph.nodes[i]);
  if (same && params.length === graph.params.length) return graph;
  return withGraph(graph, { nodes, params });
}

/** Dead-code elimination on the graph and inside every control-flow region. */
export const dce = intoRegions(dropDead);
