/**
 * @file How the IR interpreter runs control-flow nodes: cond picks a region by its predicate,
 * while runs its body while its cond region yields true, scan runs its body once per step on
 * slices of its xs and stacks the per-step ys. Regions run with the same interpreter.
 */
import { allocate, makeTensor, sizeOf, type Tensor, type TypedArray } from '@kiln-jit/core';
import type { Graph, Node } from './ir/graph.ts';
import type { RegionOp } from './ir/regions.ts';

type RunGraph = (graph: Graph, params: readonly Tensor[]) => Tensor[];

const truthy = (t: Tensor): boolean => t.storage![0] !== 0;

/** Step `t` of `x` along its leading axis (a view copy of that step's elements). */
function step(x: Tensor, t: number): Tensor {
  const n = sizeOf(x.shape.slice(1));
  return makeTensor(x.shape.slice(1), x.dtype, x.storage!.slice(t * n, (t + 1) * n) as TypedArray);
}

function runScan(node: Node, inputs: readonly Tensor[], run: RunGraph): Tensor[] {
  const k = node.attrs.carried as number;
  const m = node.attrs.sliced as number;
  const length = node.attrs.length as number;
  const body = node.regions![0]!;
  const xs = inputs.slice(k, k + m);
  const captures = inputs.slice(k + m);
  const outputs = node.outputs!;
  const ys = outputs.slice(k).map((v) => allocate(v.type.dtype, sizeOf(v.type.shape)));
  let carry = inputs.slice(0, k);
  for (let i = 0; i < length; i++) {
    const t = node.attrs.reverse ? length - 1 - i : i;
    const results = run(body, [...carry, ...xs.map((x) => step(x, t)), ...captures]);
    carry = results.slice(0, k);
    results.slice(k).forEach((y, j) => ys[j]!.set(y.storage!, t * y.size));
  }
  return [...carry, ...ys.map((data, j) => makeTensor(outputs[k + j]!.type.shape, outputs[k + j]!.type.dtype, data))];
}

export const runRegionNode: {
  readonly [K in RegionOp]: (node: Node, inputs: readonly Tensor[], run: RunGraph) => Tensor[];
} = {
  cond: (node, [pred, ...captures], run) => run(node.regions![truthy(pred!) ? 0 : 1]!, captures),
  while: (node, inputs, run) => {
    const k = node.attrs.carried as number;
    const [test, body] = node.regions!;
    let state = inputs.slice(0, k);
    const captures = inputs.slice(k);
    while (truthy(run(test!, [...state, ...captures])[0]!)) state = run(body!, [...state, ...captures]);
    return state;
  },
  scan: runScan,
};
