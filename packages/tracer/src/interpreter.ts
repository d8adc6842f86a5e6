/**
 * @file The IR interpreter: runs a graph node by node with core's eager kernels. It is the
 * reference backend every other backend is compared with, and it runs fused and planned graphs
 * too, so every pass can be tested without Wasm.
 */
import { kernels, makeTensor, allocate, type Kernel, type OpName, type Tensor } from '@kiln-jit/core';
import { CONSTANT_OP, nodeOutputs, type Graph, type Node, type Value } from './ir/graph.ts';
import { isRegionOp } from './ir/regions.ts';
import { runRegionNode } from './run-regions.ts';

/** The concrete tensor of a constant node (built once per node). */
const constantCache = new WeakMap<Node, Tensor>();

export function constantTensor(node: Node): Tensor {
  let t = constantCache.get(node);
  if (!t) {
    const { dtype, shape } = node.output.type;
    const value = node.attrs.value as number | readonly number[];
    const data = allocate(dtype, typeof value === 'number' ? 1 : value.length);
    if (typeof value === 'number') data[0] = value;
    else data.set(value);
    t = makeTensor(shape, dtype, data);
    constantCache.set(node, t);
  }
  return t;
}

const runRegion = (graph: Graph, params: readonly Tensor[]): Tensor[] => interpretGraph(graph, params).results;

function runNode(node: Node, env: Map<Value, Tensor>): Tensor[] {
  if (node.op === CONSTANT_OP) return [constantTensor(node)];
  const inputs = node.inputs.map((v) => env.get(v)!);
  if (isRegionOp(node.op)) return runRegionNode[node.op](node, inputs, runRegion);
  if (node.body) return [interpretGraph(node.body, inputs).results[0]!];
  return [(kernels[node.op as OpName] as Kernel<OpName>)(inputs, node.attrs as never, node.output.type)];
}

/**
 * Runs `graph` on `params` (one tensor per graph parameter, in order) and returns its results and
 * the new values of its updated variables (in update order). Nothing is written anywhere.
 */
export function interpretGraph(graph: Graph, params: readonly Tensor[]): { results: Tensor[]; updates: Tensor[] } {
  const env = new Map<Value, Tensor>();
  graph.params.forEach((p, i) => env.set(p.value, params[i]!));
  for (const node of graph.nodes) {
    const values = runNode(node, env);
    nodeOutputs(node).forEach((v, i) => env.set(v, values[i]!));
  }
  return {
    results: graph.results.map((v) => env.get(v)!),
    updates: graph.updates.map((u) => env.get(u.value)!),
  };
}
