/**
 * @file The vision helpers of nn: batchNorm (batch statistics and moving-statistic updates in
 * training, the moving statistics in inference, both eagerly and inside a traced Adam step on
 * Wasm), flatten, and the conv2d layer with bias; values checked against arithmetic done here.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
};

/** Per-channel mean and biased variance of rows [count, channels]. */
function stats(data: ArrayLike<number>, channels: number): [number[], number[]] {
  const count = data.length / channels;
  const m = Array.from({ length: channels }, (_, c) => {
    let s = 0;
    for (let i = 0; i < count; i++) s += data[i * channels + c]!;
    return s / count;
  });
  const v = m.map((mc, c) => {
    let s = 0;
    for (let i = 0; i < count; i++) s += (data[i * channels + c]! - mc) ** 2;
    return s / count;
  });
  return [m, v];
}

describe('batchNorm', () => {
  const x = k.randomUniform([2, 3, 3, 2], { seed: 1, min: -2, max: 3 });
  const data = x.dataSync();
  const [m, v] = stats(data, 2);
  const count = 18;

  it('training: normalizes with the batch statistics and moves the state toward them', () => {
    const state = k.nn.batchNormState(2);
    const y = k.nn.batchNorm(x, state, { training: true, momentum: 0.9, epsilon: 1e-3, gamma: [2, 1], beta: [0.5, 0] });
    const want = Array.from(data, (xv, i) => {
      const c = i % 2;
      return ((xv - m[c]!) / Math.sqrt(v[c]! + 1e-3)) * [2, 1][c]! + [0.5, 0][c]!;
    });
    close(y.dataSync(), want);
    close(state.movingMean.value.dataSync(), [0.1 * m[0]!, 0.1 * m[1]!]);
    close(
      state.movingVariance.value.dataSync(),
      [0, 1].map((c) => 0.9 + 0.1 * v[c]! * (count / (count - 1))),
    );
    expect(state.movingMean.trainable).toBe(false);
  });

  it('inference: applies the moving statistics as a scale and shift', () => {
    const state = k.nn.batchNormState(2);
    state.movingMean.assign(k.tensor([1, -1]));
    state.movingVariance.assign(k.tensor([4, 0.25]));
    const y = k.nn.batchNorm(x, state, { training: false, epsilon: 0 });
    close(
      y.dataSync(),
      Array.from(data, (xv, i) => (i % 2 === 0 ? (xv - 1) / 2 : (xv + 1) / 0.5)),
    );
    expect(Array.from(state.movingMean.value.dataSync())).toEqual([1, -1]);
  });

  it('in a traced Adam step on Wasm: the same loss, parameters and moving statistics as eagerly', () => {
    const run = (traced: boolean): number[][] => {
      const f = k.variable(k.randomNormal([3, 3, 2, 4], { seed: 2, stddev: 0.3 }));
      const gamma = k.variable(k.ones([4]));
      const beta = k.variable(k.zeros([4]));
      const state = k.nn.batchNormState(4);
      const opt = k.adam({ learningRate: 0.01 });
      const step = (input: k.Tensor): k.Tensor => {
        const [loss, grads] = k.valueAndGrad((p: { f: k.Tensor; gamma: k.Tensor; beta: k.Tensor }) => {
          const h = k.nn.batchNorm(k.conv2d(input, p.f, { padding: 'same' }), state, {
            training: true,
            gamma: p.gamma,
            beta: p.beta,
          });
          return k.mean(k.square(k.sub(k.relu(h), 0.5)));
        })({ f, gamma, beta });
        opt.apply({ f, gamma, beta }, grads);
        return loss;
      };
      const fn = traced ? k.trace(step, { backend: 'wasm' }) : step;
      const losses = [fn(x), fn(x), fn(x)].map((l) => l.item() as number);
      return [
        losses,
        ...[f, gamma, beta, state.movingMean, state.movingVariance].map((w) => Array.from(w.value.dataSync())),
      ];
    };
    const eager = run(false);
    const traced = run(true);
    eager.forEach((e, i) => close(traced[i]!, e, 1e-3));
    expect(eager[0]![2]).toBeLessThan(eager[0]![0]!);
  });

  it('names the mismatch of x and its state', () => {
    expect(() => k.nn.batchNorm(x, k.nn.batchNormState(3), { training: true })).toThrow(
      /batchNorm: x f32\[2,3,3,2\] must have rank >= 2 and 3 channels last/,
    );
  });
});

describe('flatten and the conv2d layer', () => {
  it('flatten keeps the batch dimension', () => {
    expect(k.nn.flatten(k.zeros([4, 3, 2, 5])).shape).toEqual([4, 30]);
  });

  it('conv2d with bias adds the bias to every output channel', () => {
    const x = k.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
    const f = k.tensor([1, 10], [1, 1, 1, 2]);
    const y = k.nn.conv2d(x, f, k.tensor([0.5, -1]));
    expect(Array.from(y.dataSync())).toEqual([1.5, 9, 2.5, 19, 3.5, 29, 4.5, 39]);
  });
});
