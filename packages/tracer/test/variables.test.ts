import { describe, expect, it } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { trace, asTraced } from '../src/index.ts';
import { expectTreeClose, TRACE_TOLERANCE } from './support/compare.ts';

const data = (rows: number, cols: number, seed: number) => k.randomNormal([rows, cols], { seed });

/** A small classifier whose training step is a traced method. */
class Classifier {
  readonly w1: k.Variable;
  readonly w2: k.Variable;
  readonly opt = k.adam({ learningRate: 0.05 });
  bodyRuns = 0;

  constructor(inputs: number, hidden: number, classes: number, seed: number) {
    this.w1 = k.variable(k.glorotUniform([inputs, hidden], seed), { name: 'w1' });
    this.w2 = k.variable(k.glorotUniform([hidden, classes], seed + 1), { name: 'w2' });
  }

  loss(p: { w1: k.Tensor; w2: k.Tensor }, x: k.Tensor, y: k.Tensor): k.Tensor {
    return k.softmaxCrossEntropy(k.matmul(k.tanh(k.matmul(x, p.w1)), p.w2), y);
  }

  @trace({ backend: 'interpreter' })
  step(x: k.Tensor, y: k.Tensor): k.Tensor {
    this.bodyRuns++;
    const params = { w1: this.w1, w2: this.w2 };
    const [loss, grads] = k.valueAndGrad((p: { w1: k.Tensor; w2: k.Tensor }) => this.loss(p, x, y))(params);
    this.opt.apply(params, grads);
    return loss;
  }
}

describe('@trace() on methods', () => {
  it('gives each instance its own variables and cache', () => {
    const small = new Classifier(3, 4, 2, 1);
    const large = new Classifier(5, 6, 3, 2);
    const xs = data(8, 3, 3);
    const ys = k.tensor([0, 1, 0, 1, 1, 0, 0, 1], undefined, 'i32');
    const xl = data(8, 5, 4);
    const yl = k.tensor([0, 1, 2, 1, 2, 0, 0, 1], undefined, 'i32');
    const smallW1 = small.w1.value;
    const largeW1 = large.w1.value;
    const smallLosses = Array.from({ length: 20 }, () => small.step(xs, ys).item() as number);
    const largeLosses = Array.from({ length: 20 }, () => large.step(xl, yl).item() as number);
    expect(asTraced(small.step).tracingCount).toBe(1);
    expect(asTraced(large.step).tracingCount).toBe(1);
    expect(small.bodyRuns).toBe(1);
    expect(large.bodyRuns).toBe(1);
    expect(asTraced(small.step).cacheEntries[0]!.signature).toBe('x: f32[8,3], y: i32[8]');
    expect(asTraced(large.step).cacheEntries[0]!.signature).toBe('x: f32[8,5], y: i32[8]');
    expect(smallLosses[19]!).toBeLessThan(smallLosses[0]! * 0.8);
    expect(largeLosses[19]!).toBeLessThan(largeLosses[0]! * 0.8);
    expect(small.w1.value).not.toBe(smallW1);
    expect(large.w1.value).not.toBe(largeW1);
    expect(small.w1.shape).toEqual([3, 4]);
    expect(large.w1.shape).toEqual([5, 6]);
  });

  it('traces the same as running the method eagerly', () => {
    const traced = new Classifier(3, 4, 2, 7);
    const eager = new Classifier(3, 4, 2, 7);
    const x = data(6, 3, 8);
    const y = k.tensor([0, 1, 1, 0, 1, 0], undefined, 'i32');
    const eagerStep = asTraced(eager.step).original as (x: k.Tensor, y: k.Tensor) => k.Tensor;
    for (let i = 0; i < 5; i++) {
      expectTreeClose(traced.step(x, y), eagerStep.call(eager, x, y), TRACE_TOLERANCE, `loss at step ${i}`);
    }
    expectTreeClose([traced.w1, traced.w2], [eager.w1, eager.w2], TRACE_TOLERANCE, 'weights');
  });
});

describe('variables inside traces', () => {
  it('a variable assigned twice in one step holds the last value', () => {
    const v = k.variable(k.tensor([1, 2]), { name: 'v' });
    const f = trace(
      () => {
        v.assign(k.mul(v.value, 10));
        v.assign(k.add(v.value, 1));
        return v.value;
      },
      { backend: 'interpreter' },
    );
    expect(f().dataSync()).toEqual(new Float32Array([11, 21]));
    expect(v.value.dataSync()).toEqual(new Float32Array([11, 21]));
    expect(f().dataSync()).toEqual(new Float32Array([111, 211]));
    expect(f.ir({ stage: 'traced' }).match(/update %v/g)).toHaveLength(1);
  });

  it('a variable only written becomes an update without being read', () => {
    const v = k.variable(k.zeros([2]), { name: 'out' });
    const f = trace(
      (x: k.Tensor) => {
        v.assign(k.exp(x));
      },
      { backend: 'interpreter' },
    );
    expect(f(k.tensor([0, 1]))).toBeUndefined();
    expect(Array.from(v.value.dataSync())).toEqual([1, Math.fround(Math.E)]);
  });

  it('reads see variables changed eagerly between calls', () => {
    const v = k.variable(k.tensor([1]), { name: 'v' });
    const f = trace((x: k.Tensor) => k.mul(x, v.value), { backend: 'interpreter' });
    expect(f(k.tensor([3])).item()).toBe(3);
    v.assign(k.tensor([5]));
    expect(f(k.tensor([3])).item()).toBe(15);
    expect(f.tracingCount).toBe(1);
  });

  it('a failed traced call leaves every variable unchanged', () => {
    const v = k.variable(k.tensor([1, 2]), { name: 'v' });
    const f = trace(
      (i: k.Tensor) => {
        v.assign(k.add(v.value, 1));
        return k.gather(v.value, i);
      },
      { backend: 'interpreter' },
    );
    expect(() => f(k.tensor([5], undefined, 'i32'))).toThrow('gather: index 5 is out of range [0, 2)');
    expect(v.value.dataSync()).toEqual(new Float32Array([1, 2]));
  });
});

describe('composition', () => {
  it('grad of a traced function differentiates its body', () => {
    const f = trace((x: k.Tensor) => k.sum(k.square(x)), { backend: 'interpreter' });
    const g = k.grad(f)(k.tensor([1, 2, 3]));
    expect(g.dataSync()).toEqual(new Float32Array([2, 4, 6]));
  });

  it('a traced function called inside another trace is inlined into it', () => {
    const inner = trace((x: k.Tensor) => k.exp(x), { backend: 'interpreter' });
    const outer = trace(
      function outer(x: k.Tensor) {
        return k.add(inner(x), 1);
      },
      { backend: 'interpreter' },
    );
    expect(outer(k.tensor([0])).item()).toBe(2);
    expect(outer.ir({ shape: [1] }, { stage: 'traced' })).toContain('= exp %x');
    expect(inner.tracingCount).toBe(0);
  });

  it('grad inside a traced function records the backward pass in the same graph', () => {
    const f = trace(
      function slope(x: k.Tensor) {
        return k.grad((u: k.Tensor) => k.sum(k.mul(k.sin(u), 2)))(x);
      },
      { backend: 'interpreter' },
    );
    const x = k.tensor([0, 1]);
    expectTreeClose(f(x), k.mul(k.cos(x), 2));
    expect(f.ir({ shape: [2] }, { stage: 'simplify' })).toContain('= cos %x');
  });
});
