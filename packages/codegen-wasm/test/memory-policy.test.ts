/**
 * The wasm backend's memory policy, as the pipeline applies it: what a training step computes in
 * place, and what it may not.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { memoryPlanOf, trace, type MemoryPlan } from '@kiln-jit/tracer';
import '../src/index.ts';

function mlpTrainStep() {
  const p = {
    w1: k.variable(k.zeros([16, 8]), { name: 'w1' }),
    b1: k.variable(k.zeros([8]), { name: 'b1' }),
    w2: k.variable(k.zeros([8, 4]), { name: 'w2' }),
    b2: k.variable(k.zeros([4]), { name: 'b2' }),
  };
  type P = { [K in keyof typeof p]: k.Tensor };
  const loss = (q: P, x: k.Tensor, y: k.Tensor) =>
    k.softmaxCrossEntropy(k.dense(k.relu(k.dense(x, q.w1, q.b1)), q.w2, q.b2), y);
  const sgd = k.sgd({ learningRate: 0.1 });
  return trace(
    function trainStep(x: k.Tensor, y: k.Tensor) {
      const [l, g] = k.valueAndGrad(loss)(p, x, y);
      sgd.apply(p, g);
      return l;
    },
    { backend: 'wasm' },
  );
}

/** The planned graph and memory plan of the step for a batch (the weight gradients' k). */
function plannedStep(batch: number) {
  const stages = mlpTrainStep().stages({ shape: [batch, 16] }, { shape: [batch], dtype: 'i32' });
  const graph = stages.find((s) => s.name === 'planned')!.graph;
  return { graph, plan: memoryPlanOf(graph)! };
}

const variablesInPlace = (plan: MemoryPlan) => [...plan.variablesInPlace].map((p) => p.name).sort();

describe('the wasm memory policy', () => {
  const { graph, plan } = plannedStep(32);

  it('is the policy the pipeline plans with', () => {
    expect(plan.policy).toBe('wasm');
  });

  it("writes every update into its variable when the weight gradients' k is one matmul block", () => {
    // Bias updates (sum + SGD epilogue, fused.reduce) and the step count overwrite their variables;
    // so do weight updates: w - lr * x^T g is a matmul epilogue, and with k = 32 (one k block) C
    // holds no partial sums, each element being stored once, right after the epilogue read w's.
    expect(variablesInPlace(plan)).toEqual(['b1', 'b2', 'sgd_iterations', 'w1', 'w2']);
    expect(graph.nodes.filter((n) => n.op === 'fused.matmul' && plan.inPlace.has(n.output))).toHaveLength(2);
  });

  it('never gives a matmul output the storage of its operands A or B', () => {
    for (const node of graph.nodes.filter((n) => n.op === 'fused.matmul' && plan.inPlace.has(n.output))) {
      const parts = node.body!.nodes.find((n) => n.op === 'matmul')!;
      const params = node.body!.params.map((q) => q.value);
      const operands = parts.inputs.map((v) => node.inputs[params.indexOf(v)]);
      expect(operands).not.toContain(plan.inPlace.get(node.output));
    }
  });

  it('keeps weight updates out of their variables when k spans several blocks (k = 300)', () => {
    // Between k blocks C holds partial sums, which would overwrite w before the epilogue reads it.
    const wide = plannedStep(300);
    expect(variablesInPlace(wide.plan)).toEqual(['b1', 'b2', 'sgd_iterations']);
    for (const node of wide.graph.nodes.filter((n) => n.op === 'fused.matmul'))
      expect(wide.plan.inPlace.has(node.output)).toBe(false);
  });
});
