import { describe, expect, it } from '@jest/globals';
import {
  dense,
  dropout,
  glorotNormal,
  glorotUniform,
  heNormal,
  heUniform,
  KilnArgumentError,
  KilnShapeError,
  layerNorm,
  logSoftmax,
  mean,
  mse,
  oneHot,
  softmax,
  softmaxCrossEntropy,
  sub,
  sum,
  square,
  tensor,
  type Tensor,
} from '../src/index.ts';
import { caught, expectTensor, F32_RTOL } from './helpers.ts';

/** softmax([1, 2, 3]) and its log, by hand: e^k / (e + e^2 + e^3). */
const SOFTMAX_123 = [0.09003057317038046, 0.24472847105479764, 0.6652409557748219];
const LOG_SOFTMAX_123 = [-2.4076059644443806, -1.4076059644443806, -0.4076059644443806];

function stddev(t: Tensor): number {
  return Math.sqrt(mean(square(sub(t, mean(t)))).item() as number);
}

describe('softmax and logSoftmax', () => {
  it('match hand values along the last axis, and along axis 0', () => {
    expectTensor(
      softmax(
        tensor([
          [1, 2, 3],
          [1, 2, 3],
        ]),
      ),
      [2, 3],
      [SOFTMAX_123, SOFTMAX_123],
    );
    expectTensor(logSoftmax(tensor([1, 2, 3])), [3], LOG_SOFTMAX_123);
    expectTensor(
      softmax(
        tensor([
          [1, 5],
          [2, 5],
          [3, 5],
        ]),
        0,
      ),
      [3, 2],
      [
        [SOFTMAX_123[0]!, 1 / 3],
        [SOFTMAX_123[1]!, 1 / 3],
        [SOFTMAX_123[2]!, 1 / 3],
      ],
    );
    expectTensor(logSoftmax(tensor([[1], [2], [3]]), -2), [3, 1], LOG_SOFTMAX_123);
  });

  it('are stable for large logits and handle -inf entries', () => {
    expectTensor(softmax(tensor([1001, 1002, 1003])), [3], SOFTMAX_123);
    expectTensor(logSoftmax(tensor([-1001, -1000, -999])), [3], LOG_SOFTMAX_123, 4 * F32_RTOL);
    expectTensor(softmax(tensor([0, -Infinity])), [2], [1, 0]);
    expectTensor(logSoftmax(tensor([0, -Infinity])), [2], [0, -Infinity]);
  });

  it('rows sum to 1', () => {
    const p = softmax(
      tensor([
        [0.3, -2, 4, 1],
        [7, 7, 7, 7],
      ]),
    );
    expectTensor(sum(p, -1), [2], [1, 1]);
    expectTensor(p.slice([1, 0], [1, 4]), [1, 4], [0.25, 0.25, 0.25, 0.25]);
  });

  it('reject a bad axis', () => {
    expect(caught(() => softmax(tensor([1, 2]), 1)).detail).toBe('softmax: axis 1 is out of range for f32[2]');
  });
});

describe('softmaxCrossEntropy', () => {
  const logits = tensor([
    [1, 2, 3],
    [1, 0, -1],
  ]);
  // Row 0, label 2: -logSoftmax[2] of [1,2,3]; row 1, label 1: -logSoftmax[1] of [1,0,-1] = log(e + 1 + e^-1).
  const HAND = (0.4076059644443806 + Math.log(Math.E + 1 + 1 / Math.E)) / 2;

  it('with integer labels matches the hand computation', () => {
    expectTensor(softmaxCrossEntropy(logits, [2, 1]), [], [HAND]);
    expectTensor(softmaxCrossEntropy(logits, tensor([2, 1], undefined, 'i32')), [], [HAND]);
  });

  it('one-hot labels give the same loss; soft labels mix the rows', () => {
    expectTensor(softmaxCrossEntropy(logits, oneHot([2, 1], 3)), [], [HAND]);
    const soft = tensor([
      [0.5, 0, 0.5],
      [0, 1, 0],
    ]);
    const row0 = -(0.5 * LOG_SOFTMAX_123[0]! + 0.5 * LOG_SOFTMAX_123[2]!);
    expectTensor(softmaxCrossEntropy(logits, soft), [], [(row0 + Math.log(Math.E + 1 + 1 / Math.E)) / 2]);
  });

  it('works on a batch of sequences [2, 2, 3]', () => {
    const z = tensor([
      [
        [1, 2, 3],
        [1, 0, -1],
      ],
      [
        [1, 2, 3],
        [1, 0, -1],
      ],
    ]);
    expectTensor(
      softmaxCrossEntropy(z, [
        [2, 1],
        [2, 1],
      ]),
      [],
      [HAND],
    );
  });

  it('rejects labels that fit neither form', () => {
    const err = caught(() => softmaxCrossEntropy(logits, [2, 1, 0]));
    expect(err).toBeInstanceOf(KilnShapeError);
    expect(err.detail).toBe(
      'softmaxCrossEntropy: labels i32[3] do not match logits f32[2,3]; ' +
        'give i32 class indices of shape [2] or f32 rows of shape [2,3]',
    );
  });
});

describe('mse, dense, layerNorm', () => {
  it('mse is the mean squared difference, with broadcasting', () => {
    expectTensor(mse(tensor([1, 2, 3]), tensor([1, 0, 0])), [], [13 / 3]);
    expectTensor(
      mse(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        2,
      ),
      [],
      [(1 + 0 + 1 + 4) / 4],
    );
  });

  it('dense is x·w + b', () => {
    expectTensor(
      dense(
        tensor([[1, 2]]),
        tensor([
          [1, 0, 2],
          [3, 1, 0],
        ]),
        tensor([0.5, 0, -1]),
      ),
      [1, 3],
      [[7.5, 2, 1]],
    );
    expectTensor(dense(tensor([[1, 2]]), tensor([[1], [1]])), [1, 1], [[3]]);
  });

  it('layerNorm gives mean 0 and variance 1 per row, then scales and shifts', () => {
    const x = tensor([
      [1, 2, 3, 4],
      [10, 10, 10, 14],
    ]);
    const y = layerNorm(x);
    expectTensor(mean(y, -1), [2], [0, 0], 0, 1e-6);
    // Variance v / (v + epsilon) with epsilon = 1e-5: within 1e-5 of 1.
    expectTensor(mean(square(y), -1), [2], [1, 1], 2e-5);
    const scale = 1 / Math.sqrt(1.25 + 1e-5);
    expectTensor(y.slice([0, 0], [1, 4]), [1, 4], [-1.5 * scale, -0.5 * scale, 0.5 * scale, 1.5 * scale]);
    const z = layerNorm(x, tensor([1, 2, 3, 4]), tensor([0, 0, 1, 1]));
    expectTensor(z.slice([0, 0], [1, 4]), [1, 4], [-1.5 * scale, -1 * scale, 1.5 * scale + 1, 6 * scale + 1]);
  });

  it('layerNorm over another axis and with another epsilon', () => {
    // Column 0: mean 2, variance 1; column 1: mean 7, variance 4.
    const y = layerNorm(
      tensor([
        [1, 5],
        [3, 9],
      ]),
      undefined,
      undefined,
      { axis: 0, epsilon: 0 },
    );
    expectTensor(
      y,
      [2, 2],
      [
        [-1, -1],
        [1, 1],
      ],
    );
  });
});

describe('dropout', () => {
  const x = tensor(Array.from({ length: 10000 }, () => 1));

  it('is deterministic per seed and scales kept values by 1/(1-rate)', () => {
    const a = dropout(x, 0.25, 7).dataSync();
    expect(Array.from(dropout(x, 0.25, 7).dataSync())).toEqual(Array.from(a));
    expect(Array.from(dropout(x, 0.25, 8).dataSync())).not.toEqual(Array.from(a));
    const kept = Array.from(a).filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    // 10000 Bernoulli(0.75) draws: ~43 standard deviation in the count; allow 5 of them.
    expect(Math.abs(kept.length - 7500)).toBeLessThan(5 * 43);
  });

  it('rate 0 is the identity and rate 1 is an error', () => {
    expect(dropout(x, 0, 1)).toBe(x);
    const err = caught(() => dropout(x, 1, 1));
    expect(err).toBeInstanceOf(KilnArgumentError);
    expect(err.detail).toBe('dropout: rate must be in [0, 1), got 1');
  });
});

describe('initializers', () => {
  it.each<[string, (shape: number[], seed: number) => Tensor, number, number | null]>([
    // [name, init, expected stddev for a [200, 300] weight, uniform limit or null]
    ['glorotUniform', glorotUniform, Math.sqrt(2 / 500), Math.sqrt(6 / 500)],
    ['glorotNormal', glorotNormal, Math.sqrt(2 / 500), null],
    ['heNormal', heNormal, Math.sqrt(2 / 200), null],
    ['heUniform', heUniform, Math.sqrt(2 / 200), Math.sqrt(6 / 200)],
  ])('%s has the right spread and is seeded', (_name, init, std, limit) => {
    const w = init([200, 300], 5);
    expect(w.shape).toEqual([200, 300]);
    expect(Math.abs(mean(w).item() as number)).toBeLessThan((5 * std) / Math.sqrt(60000));
    expect(Math.abs(stddev(w) / std - 1)).toBeLessThan(0.02);
    if (limit !== null) {
      const d = w.dataSync();
      expect(Math.max(...d)).toBeLessThanOrEqual(limit);
      expect(Math.min(...d)).toBeGreaterThanOrEqual(-limit);
    }
    expect(Array.from(init([3, 4], 5).dataSync())).toEqual(Array.from(init([3, 4], 5).dataSync()));
  });
});
