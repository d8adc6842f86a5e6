/**
 * SGD weight updates written by a matmul epilogue straight into the weights' storage (k is one
 * matmul block): every step's weights and loss equal eager's on 1 and 2 threads, with k on both
 * sides of the block size, and a result that reads a weight before its update keeps the old value.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';
import { memoryPlanOf } from '@kiln-jit/tracer';
import { splitEveryKernel } from './threads/split-every-kernel.ts';
import { expectTreeClose, type Tolerance } from '../../tracer/test/support/compare.ts';

const WASM: Tolerance = { rtol: 2e-4, atol: 2e-5 };
splitEveryKernel();

function setup(batch: number) {
  const p = {
    w1: k.variable(k.glorotUniform([24, 16], 900), { name: 'w1' }),
    b1: k.variable(k.zeros([16]), { name: 'b1' }),
    w2: k.variable(k.glorotUniform([16, 5], 901), { name: 'w2' }),
    b2: k.variable(k.zeros([5]), { name: 'b2' }),
  };
  type P = { [K in keyof typeof p]: k.Tensor };
  const loss = (q: P, x: k.Tensor, y: k.Tensor) =>
    k.softmaxCrossEntropy(k.dense(k.relu(k.dense(x, q.w1, q.b1)), q.w2, q.b2), y);
  const sgd = k.sgd({ learningRate: 0.5 });
  // Returns the loss and w1 and w2 as they were before this step's update (one of them a view).
  const step = (x: k.Tensor, y: k.Tensor) => {
    const before = [k.reshape(p.w1, [24 * 16]), k.transpose(p.w2)];
    const [l, g] = k.valueAndGrad(loss)(p, x, y);
    sgd.apply(p, g);
    return [l, ...before];
  };
  const x = k.randomNormal([batch, 24], { seed: 902 });
  const y = k.tensor(
    Array.from({ length: batch }, (_, i) => (i * 3) % 5),
    [batch],
    'i32',
  );
  return { p, step, x, y };
}

type Run = { results: k.Tensor[][]; weights: k.Tensor[][] };

/** Runs `steps` steps eagerly (threads null) or traced; `before` also returns the pre-update weights. */
function run(batch: number, threads: number | null, before: boolean, steps = 4): Run {
  const { p, step: full, x, y } = setup(batch);
  const step = before ? full : (a: k.Tensor, b: k.Tensor) => full(a, b).slice(0, 1);
  if (threads !== null) k.setNumThreads(threads);
  const fn = threads === null ? step : k.trace(step, { backend: 'wasm' });
  const out: Run = { results: [], weights: [] };
  for (let s = 0; s < steps; s++) {
    out.results.push(fn(x, y));
    out.weights.push([p.w1, p.w2].map((w) => k.tensor(w.value.dataSync().slice(), w.value.shape)));
  }
  return out;
}

describe('SGD weight updates computed in the weights’ storage', () => {
  it.each(
    [32, 300].flatMap((batch) =>
      [1, 2].flatMap((threads) => [false, true].map((b) => [batch, threads, b] as [number, number, boolean])),
    ),
  )(
    'batch %i (the weight gradients’ k), %i thread(s), pre-update weights returned: %s; every step equals eager',
    (batch, threads, before) => {
      const eager = run(batch, null, before);
      const traced = run(batch, threads, before);
      expectTreeClose(traced.results, eager.results, WASM, 'loss and pre-update weights');
      expectTreeClose(traced.weights, eager.weights, WASM, 'weights after each step');
      // The weights moved: a step that left them alone would agree as well.
      expect(eager.weights[3]![0]!.dataSync()).not.toEqual(eager.weights[0]![0]!.dataSync());
    },
  );

  it('plans w1 and w2 in place at batch 32, but not while a result still reads w1 after the update', () => {
    const { step, x, y } = setup(32);
    const planned = (fn: typeof step) =>
      memoryPlanOf(
        k
          .trace(fn, { backend: 'wasm' })
          .stages(x, y)
          .find((s) => s.name === 'planned')!.graph,
      )!;
    const names = (fn: typeof step) => [...planned(fn).variablesInPlace].map((v) => v.name);
    expect(names((a, b) => step(a, b).slice(0, 1))).toEqual(expect.arrayContaining(['w1', 'w2']));
    expect(names(step)).not.toContain('w1');
  });
});
