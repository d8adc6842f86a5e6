/**
 * @file Constant folding: a node whose inputs are all constants is evaluated now, with core's
 * eager kernels (so folded values equal eager ones), and replaced by a constant, provided the
 * result is small enough not to bloat the graph.
 */
import { inferType, isOpName, kernels, type Kernel, type OpName } from '@kiln-jit/core';
import { CONSTANT_OP, type Graph, type Node } from '../ir/graph.ts';
import { constantTensor } from '../interpreter.ts';
import { rewriteNodes, type RewriteContext, intoRegions } from './rewrite.ts';

/** Results with more elements than this stay computed at run time. */
export const FOLD_LIMIT = 64;

function foldable(node: Node, ctx: RewriteContext): Node[] | null {
  if (!isOpName(node.op) || node.op === 'print' || node.body) return null;
  const defs = node.inputs.map((v) => ctx.def(v));
  return defs.every((d): d is Node => d !== null && d.op === CONSTANT_OP) ? defs : null;
}

function foldConstants(graph: Graph): Graph {
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
