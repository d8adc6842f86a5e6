/**
 * @file Common-subexpression elimination: the same op with the same inputs and attributes (and
 * for constants, the same type and data) is computed once. Commutative ops match either order.
 */
import { isCommutative, isOpName } from '@kiln-jit/core';
import type { Graph, Node } from '../ir/graph.ts';
import { formatType } from '../ir/format-values.ts';
import { rewriteNodes, intoRegions } from './rewrite.ts';

/** JSON that keeps NaN, ±Infinity and -0 apart (plain JSON turns them into null and 0). */
export function exactKey(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `#${Object.is(v, -0) ? '-0' : String(v)}` : v,
  );
}

function keyOf(node: Node): string | null {
  // Effects, fused bodies and control flow are never merged (regions are not compared).
  if (node.op === 'print' || node.body || node.regions) return null;
  const ids = node.inputs.map((v) => v.id);
  if (isOpName(node.op) && isCommutative(node.op)) ids.sort((a, b) => a - b);
  return `${node.op}|${formatType(node.output.type)}|${ids.join(',')}|${exactKey(node.attrs)}`;
}

function mergeCommon(graph: Graph): Graph {
  const seen = new Map<string, Node>();
  return rewriteNodes(graph, (node) => {
    const key = keyOf(node);
    if (key === null) return null;
    const first = seen.get(key);
    if (first) return first.output;
    seen.set(key, node);
    return null;
  });
}

/** {@link mergeCommon} on the graph and inside every control-flow region. */
export const cse = intoRegions(mergeCommon);
