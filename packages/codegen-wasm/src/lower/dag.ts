/**
 * @file Evaluates a list of elementwise nodes (a fused body, or a stretch of one) as vectors:
 * each node's value goes to a local, so later nodes and the caller can read it freely.
 */
import type { DType } from '@kiln-jit/core';
import type { ExpressionRef } from '../binaryen.ts';
import { CONSTANT_OP, type Node, type Value } from '@kiln-jit/tracer';
import { elementwiseLowering, type ElementwiseOp } from './elementwise-ops.ts';
import type { Vec } from '../function-builder.ts';
import type { KernelBuilder } from './module-context.ts';
import { splatConstant } from './lanes.ts';
import { selectPattern } from './select.ts';

/**
 * Computes `nodes` in order. `values` must hold a getter for every input that is not computed by
 * an earlier node of the list; it is extended with the new values. Returns the statements. A node
 * that ends a pattern of nodes in the list may be computed from the pattern's operands (select.ts).
 */
export function evaluateNodes(b: KernelBuilder, nodes: readonly Node[], values: Map<Value, Vec>): ExpressionRef[] {
  const stmts: ExpressionRef[] = [];
  const producers = new Map(nodes.map((n) => [n.output, n]));
  for (const node of nodes) {
    const expr =
      node.op === CONSTANT_OP
        ? splatConstant(b, node.output.type.dtype, node.attrs.value as number)
        : (selectPattern(b, node, producers, values) ?? lowerNode(b, node, values));
    const [set, get] = b.keep(expr);
    stmts.push(set);
    values.set(node.output, get);
  }
  return stmts;
}

/** One elementwise node by its op's own lowering. */
function lowerNode(b: KernelBuilder, node: Node, values: ReadonlyMap<Value, Vec>): ExpressionRef {
  const lower = elementwiseLowering[node.op as ElementwiseOp];
  if (!lower) throw new Error(`codegen-wasm: ${node.op} is not an elementwise op`);
  const args = node.inputs.map((v) => {
    const get = values.get(v);
    if (!get) throw new Error(`codegen-wasm: value #${v.id} of ${node.op} has no vector form here`);
    return get;
  });
  const dtypes: DType[] = node.inputs.map((v) => v.type.dtype);
  return lower(b, args, dtypes, node.attrs as never);
}
