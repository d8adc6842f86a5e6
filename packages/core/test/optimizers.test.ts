import { describe, expect, it } from '@jest/globals';
import { adam, grad, momentum, sgd, square, sum, tensor, Variable, variable, type Tensor } from '../src/index.ts';
import { expectTensor } from './helpers.ts';

/** Adam's f32 bias corrections (1 - β^t) lose a few digits against a double reference. */
const ADAM_RTOL = 1e-5;

const G1 = [0.5, -1, 2];
const G2 = [1, 1, -0.25];
const W0 = [1, 2, -3];

describe('variables', () => {
  it('variable() wraps anything tensor() accepts; the shape and dtype are fixed', () => {
    const v = variable([[1, 2]], { name: 'v', trainable: false });
    expect(v).toBeInstanceOf(Variable);
    expect(v.name).toBe('v');
    expect(v.trainable).toBe(false);
    expect(v.typeString).toBe('f32[1,2]');
    expect(String(v)).toBe("Variable 'v' f32[1,2]");
    v.assign(tensor([[3, 4]]));
    expect(v.version).toBe(1);
    expectTensor(v.value, [1, 2], [[3, 4]]);
    expect(variable(tensor([1], undefined, 'i32')).dtype).toBe('i32');
  });
});

describe('sgd', () => {
  it('w -= lr · g, step by step', () => {
    const w = new Variable(tensor(W0));
    const opt = sgd({ learningRate: 0.1 });
    opt.apply(w, tensor(G1));
    expectTensor(w.value, [3], [0.95, 2.1, -3.2]);
    opt.apply(w, tensor(G2));
    expectTensor(w.value, [3], [0.85, 2.0, -3.175]);
    expect(opt.state.size).toBe(0);
  });

  it('updates a pytree of variables and skips non-trainable ones', () => {
    const params = {
      a: new Variable(tensor([1])),
      rest: [new Variable(tensor([2])), new Variable(tensor([3]), { trainable: false })],
    };
    sgd({ learningRate: 0.5 }).apply(params, { a: tensor([1]), rest: [tensor([2]), tensor([2])] });
    expectTensor(params.a.value, [1], [0.5]);
    expectTensor(params.rest[0]!.value, [1], [1]);
    expectTensor(params.rest[1]!.value, [1], [3]);
  });

  it('minimizes a quadratic with gradients from grad', () => {
    const w = new Variable(tensor([3, -4]));
    const opt = sgd({ learningRate: 0.25 });
    const g = grad((x: Tensor) => sum(square(x)));
    for (let i = 0; i < 20; i++) opt.apply(w, g(w.value));
    // Each step multiplies w by 1 - 2·0.25 = 0.5.
    expectTensor(w.value, [2], [3 * 0.5 ** 20, -4 * 0.5 ** 20]);
  });
});

describe('momentum', () => {
  it('m = μ·m + g; w -= lr · m', () => {
    const w = new Variable(tensor(W0), { name: 'w' });
    const opt = momentum({ learningRate: 0.1, momentum: 0.9 });
    opt.apply(w, tensor(G1));
    // m1 = g1
    expectTensor(w.value, [3], [0.95, 2.1, -3.2]);
    opt.apply(w, tensor(G2));
    // m2 = 0.9·g1 + g2 = [1.45, 0.1, 1.55]
    expectTensor(w.value, [3], [0.95 - 0.145, 2.1 - 0.01, -3.2 - 0.155]);
    const slots = opt.state.get(w)!;
    expect(Object.keys(slots)).toEqual(['momentum']);
    expect(slots.momentum).toBeInstanceOf(Variable);
    expect(slots.momentum!.name).toBe('w/momentum');
    expect(slots.momentum!.trainable).toBe(false);
    expectTensor(slots.momentum!.value, [3], [1.45, 0.1, 1.55]);
  });

  it('Nesterov: w -= lr · (g + μ·m)', () => {
    const w = new Variable(tensor(W0));
    momentum({ learningRate: 0.1, momentum: 0.9, nesterov: true }).apply(w, tensor(G1));
    // m1 = g1; step = g1 + 0.9·g1 = 1.9·g1
    expectTensor(
      w.value,
      [3],
      W0.map((v, i) => v - 0.1 * 1.9 * G1[i]!),
    );
  });
});

describe('adam', () => {
  /** Kingma & Ba, Algorithm 1, in double precision. */
  function adamRef(w: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number) {
    const m = w.map(() => 0);
    const v = w.map(() => 0);
    const out = [...w];
    grads.forEach((g, step) => {
      const t = step + 1;
      for (let i = 0; i < w.length; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
        const mHat = m[i]! / (1 - b1 ** t);
        const vHat = v[i]! / (1 - b2 ** t);
        out[i] = out[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    });
    return { w: out, m, v };
  }

  it('the first step moves each weight by about lr against the sign of its gradient', () => {
    const w = new Variable(tensor(W0));
    adam({ learningRate: 0.1 }).apply(w, tensor(G1));
    expectTensor(w.value, [3], [0.9, 2.1, -3.1], ADAM_RTOL);
  });

  it('two steps match the reference algorithm; the state lives in variables', () => {
    const w = new Variable(tensor(W0), { name: 'w' });
    const opt = adam({ learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 });
    opt.apply(w, tensor(G1));
    opt.apply(w, tensor(G2));
    const ref = adamRef(W0, [G1, G2], 0.05, 0.8, 0.99, 1e-3);
    const slots = opt.state.get(w)!;
    expect(Object.keys(slots).sort()).toEqual(['m', 'step', 'v']);
    for (const slot of Object.values(slots)) {
      expect(slot).toBeInstanceOf(Variable);
      expect(slot.trainable).toBe(false);
    }
    expectTensor(slots.m!.value, [3], ref.m, ADAM_RTOL);
    expectTensor(slots.v!.value, [3], ref.v, ADAM_RTOL);
    expectTensor(slots.step!.value, [], [2]);
    // Kiln folds the bias corrections into the step size and adds ε to the uncorrected sqrt(v)
    // (the paper's "efficient" form, as TensorFlow does), which matters for a large ε like this one:
    // w_t = w_{t-1} - lr·sqrt(1-β2^t)/(1-β1^t) · m_t / (sqrt(v_t) + ε)
    let expected = [...W0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    [G1, G2].forEach((g, step) => {
      const t = step + 1;
      const lrT = (0.05 * Math.sqrt(1 - 0.99 ** t)) / (1 - 0.8 ** t);
      expected = expected.map((wi, i) => {
        m[i] = 0.8 * m[i]! + 0.2 * g[i]!;
        v[i] = 0.99 * v[i]! + 0.01 * g[i]! ** 2;
        return wi - (lrT * m[i]!) / (Math.sqrt(v[i]!) + 1e-3);
      });
    });
    expectTensor(w.value, [3], expected, ADAM_RTOL);
    expect(Math.abs(expected[0]! - ref.w[0]!)).toBeGreaterThan(1e-3);
    // With the default tiny ε the two forms agree.
    const w2 = new Variable(tensor(W0));
    const opt2 = adam({ learningRate: 0.05, beta1: 0.8, beta2: 0.99 });
    opt2.apply(w2, tensor(G1));
    opt2.apply(w2, tensor(G2));
    expectTensor(w2.value, [3], adamRef(W0, [G1, G2], 0.05, 0.8, 0.99, 1e-8).w, ADAM_RTOL);
  });

  it('keeps separate state per variable', () => {
    const a = new Variable(tensor([1]));
    const b = new Variable(tensor([1, 1]));
    const opt = adam();
    opt.apply([a, b], [tensor([1]), tensor([1, -1])]);
    opt.apply([a], [tensor([1])]);
    expect(opt.state.size).toBe(2);
    expectTensor(opt.state.get(a)!.step!.value, [], [2]);
    expectTensor(opt.state.get(b)!.step!.value, [], [1]);
    expectTensor(b.value, [2], [1 - 1e-3, 1 + 1e-3], ADAM_RTOL);
  });
});
