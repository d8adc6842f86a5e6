/**
 * @file Constant folding: a node whose inputs are all constants is evaluated now, with core's
 * eager kernels (so folded values equal eager ones), and replaced by a constant, provided the
 * result is small enough not to bloat the graph. A cond whose predicate is then a constant is
 * replaced by the nodes of the branch it takes.
 */
import { inferType, isOpName, kernels, type Kernel, type OpName } from '@kiln-jit/core';
import { CONSTANT_OP, definitions, withGraph, type Graph, type Node, type Value } from '../ir/graph.ts';
import { constantTensor } from '../interpreter.ts';
import { rewriteNodes, type RewriteContext, intoRegions } from './rewrite.ts';

/** Results with more elements than this stay computed at run time. */
export const FOLD_LIMIT = 64;

function foldable(node: Node, ctx: RewriteContext): Node[] | null {
  if (!isOpName(node.op) || node.op === 'print' || node.body) return null;
  const defs = node.inputs.map((v) => ctx.def(v));
  return defs.every((d): d is Node => d !== null && d.op === CONSTANT_OP) ? defs : null;
}

/** The region a cond with a constant predicate takes, or null. */
function decidedBranch(node: Node, defs: Map<Value, Node | null>): Graph | null {
  if (node.op !== 'cond') return null;
  const pred = defs.get(node.inputs[0]!);
  return pred?.op === CONSTANT_OP ? node.regions![Number(pred.attrs.value) !== 0 ? 0 : 1]! : null;
}

/** Replaces each cond whose predicate is a constant by its taken branch's nodes (region params become the node's captures). */
function inlineDecidedConds(graph: Graph): Graph {
  const defs = definitions(graph);
  if (!graph.nodes.some((n) => decidedBranch(n, defs))) return graph;
  const renamed = new Map<Value, Value>();
  const rename = (v: Value): Value => renamed.get(v) ?? v;
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const inputs = node.inputs.map(rename);
    const branch = decidedBranch(node, defs);
    if (!branch) {
      nodes.push(inputs.some((v, i) => v !== node.inputs[i]) ? { ...node, inputs } : node);
      continue;
    }
    branch.params.forEach((p, i) => renamed.set(p.value, inputs[i + 1]!));
    for (const n of branch.nodes) nodes.push({ ...n, inputs: n.inputs.map(rename) });
    node.outputs!.forEach((v, i) => renamed.set(v, rename(branch.results[i]!)));
  }
  return withGraph(graph, {
    nodes,
    results: graph.results.map(rename),
    updates: graph.updates.map((u) => ({ target: u.target, value: rename(u.value) })),
  });
}

function foldConstants(graph: Graph): Graph {
  return inlineDecidedConds(foldNodes(graph));
}

function foldNodes(graph: Graph): Graph {
  return rewriteNodes(graph, (node, ctx) => {
    const defs = foldable(node, ctx);
    if (!defs || node.output.type.shape.reduce((a, d) => a * d, 1) > FOLD_LIMIT) return null;
    const op = node.op as OpName;
    const inputs = defs.map(constantTensor);
    const value = (kernels[op] as Kernel<OpName>)(
      inputs,
      node.attrs as never,
      inferType(op, inputs, node.attrs as never),
    );
    const data = value.dataSync();
    return ctx.emit(CONSTANT_OP, [], { value: value.rank === 0 ? data[0]! : Array.from(data) }, value, node.loc);
  });
}

/** {@link foldConstants} on the graph and inside every control-flow region. */
export const constantFold = intoRegions(foldConstants);
