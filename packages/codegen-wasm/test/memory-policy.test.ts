/**
 * The wasm backend's memory policy, as the pipeline applies it: what a training step computes in
 * place, and what it may not.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { memoryPlanOf, trace } from '@kiln-jit/tracer';
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

describe('the wasm memory policy', () => {
  const stages = mlpTrainStep().stages({ shape: [32, 16] }, { shape: [32], dtype: 'i32' });
  const plan = memoryPlanOf(stages.find((s) => s.name === 'planned')!.graph)!;

  it('is the policy the pipeline plans with', () => {
    expect(plan.policy).toBe('wasm');
  });

  it('writes bias updates into the variables, but not weight updates out of a matmul', () => {
    // Bias updates (sum + SGD epilogue, fused.reduce) and the optimizer's step count overwrite the
    // variables, all computed after the label check (a gather) that may stop the call; weight
    // updates come out of matmul epilogues, whose output holds partial sums, so they are copied in
    // at the end.
    expect([...plan.variablesInPlace].map((p) => p.name).sort()).toEqual(['b1', 'b2', 'sgd_iterations']);
    const planned = stages.find((s) => s.name === 'planned')!.graph;
    for (const node of planned.nodes.filter((n) => n.op === 'fused.matmul'))
      expect(plan.inPlace.has(node.output)).toBe(false);
  });
});
