import { describe, expect, it } from '@jest/globals';
import {
  adagrad,
  adam,
  adamw,
  cosineDecay,
  exponentialDecay,
  grad,
  momentum,
  rmsprop,
  sgd,
  square,
  sum,
  tensor,
  Variable,
  variable,
  type Optimizer,
  type Tensor,
} from '../src/index.ts';
import { caught, expectClose, expectTensor } from './helpers.ts';

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

/** Three steps of gradients for the 3-step references below. */
const GRADS = [G1, G2, [-0.75, 0.5, 1.5]];

/** Runs `opt` over GRADS from W0 and returns the weights after each step. */
function run(opt: Optimizer, grads = GRADS): number[][] {
  const w = new Variable(tensor(W0), { name: 'w' });
  return grads.map((g) => {
    opt.apply(w, tensor(g));
    return Array.from(w.value.dataSync());
  });
}

/** Applies `update(w, g, i)` elementwise in doubles over GRADS, keeping the weights after each step. */
function reference(update: (w: number, g: number, i: number, t: number) => number, grads = GRADS): number[][] {
  let w = [...W0];
  return grads.map((g, t) => (w = w.map((wi, i) => update(wi, g[i]!, i, t))));
}

function expectSteps(actual: number[][], expected: number[][], rtol = 1e-5): void {
  actual.forEach((step, t) => expectClose(step, expected[t]!, rtol, 1e-6, `step ${t + 1}`));
}

describe('rmsprop (torch.optim.RMSprop)', () => {
  it('s = ρ·s + (1-ρ)·g²; w -= lr · g / (sqrt(s) + ε), over 3 steps', () => {
    const s = [0, 0, 0];
    const expected = reference((w, g, i) => {
      s[i] = 0.9 * s[i]! + 0.1 * g * g;
      return w - (0.01 * g) / (Math.sqrt(s[i]!) + 1e-3);
    });
    expectSteps(run(rmsprop({ learningRate: 0.01, rho: 0.9, epsilon: 1e-3 })), expected);
  });

  it('centered with momentum: divides by the running variance and accumulates the scaled step', () => {
    const s = [0, 0, 0];
    const mean = [0, 0, 0];
    const buf = [0, 0, 0];
    const expected = reference((w, g, i) => {
      s[i] = 0.99 * s[i]! + 0.01 * g * g;
      mean[i] = 0.99 * mean[i]! + 0.01 * g;
      buf[i] = 0.5 * buf[i]! + g / (Math.sqrt(s[i]! - mean[i]! ** 2) + 1e-8);
      return w - 0.02 * buf[i]!;
    });
    const opt = rmsprop(0.02, { momentum: 0.5, centered: true });
    expectSteps(run(opt), expected, 1e-4);
    expect(Object.keys([...opt.state.values()][0]!).sort()).toEqual(['meanGrad', 'meanSquare', 'momentum']);
  });

  it('defaults to PyTorch: lr 0.01, rho 0.99, eps 1e-8', () => {
    const s = [0, 0, 0];
    const expected = reference((w, g, i) => {
      s[i] = 0.99 * s[i]! + 0.01 * g * g;
      return w - (0.01 * g) / (Math.sqrt(s[i]!) + 1e-8);
    });
    expectSteps(run(rmsprop()), expected);
  });
});

describe('adagrad (torch.optim.Adagrad)', () => {
  it('s += g²; w -= lr · g / (sqrt(s) + ε), over 3 steps, from an initial accumulator', () => {
    const s = [0.1, 0.1, 0.1];
    const expected = reference((w, g, i) => {
      s[i] = s[i]! + g * g;
      return w - (0.5 * g) / (Math.sqrt(s[i]!) + 1e-10);
    });
    expectSteps(run(adagrad(0.5, { initialAccumulatorValue: 0.1 })), expected);
  });

  it('the first step from a zero accumulator moves each weight by lr against its gradient', () => {
    // g / sqrt(g²) = sign(g)
    expectSteps(run(adagrad({ learningRate: 0.25 }), [G1]), [[0.75, 2.25, -3.25]]);
  });
});

describe('adamw (torch.optim.AdamW)', () => {
  it('decays the weights by lr·λ·w apart from the Adam step, over 3 steps', () => {
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const [lr, b1, b2, eps, wd] = [0.05, 0.9, 0.999, 1e-8, 0.1];
    const expected = reference((w, g, i, step) => {
      const t = step + 1;
      m[i] = b1 * m[i]! + (1 - b1) * g;
      v[i] = b2 * v[i]! + (1 - b2) * g * g;
      const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      return w - lr * wd * w - (lrT * m[i]!) / (Math.sqrt(v[i]!) + eps);
    });
    expectSteps(run(adamw(lr, { weightDecay: wd })), expected, ADAM_RTOL);
  });

  it('with no weight decay it is adam', () => {
    expectSteps(run(adamw({ learningRate: 0.05, weightDecay: 0 })), run(adam(0.05)), 0);
  });

  it('defaults to PyTorch: lr 1e-3, weight decay 0.01', () => {
    expectSteps(run(adamw()), run(adamw({ learningRate: 1e-3, weightDecay: 0.01 })), 0);
    expect(run(adamw())[0]).not.toEqual(run(adam())[0]);
  });
});

describe('adam over 3 steps', () => {
  it('matches the efficient-form reference', () => {
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const expected = reference((w, g, i, step) => {
      const t = step + 1;
      m[i] = 0.9 * m[i]! + 0.1 * g;
      v[i] = 0.999 * v[i]! + 0.001 * g * g;
      return w - (((0.1 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t)) * m[i]!) / (Math.sqrt(v[i]!) + 1e-8);
    });
    expectSteps(run(adam(0.1)), expected, ADAM_RTOL);
  });
});

describe('learning rates', () => {
  it('every optimizer takes the rate alone (sgd(0.1)) or in an options object', () => {
    const makers: [string, (lr: number) => Optimizer, (lr: number) => Optimizer][] = [
      ['sgd', (lr) => sgd(lr), (lr) => sgd({ learningRate: lr })],
      ['momentum', (lr) => momentum(lr, { momentum: 0.5 }), (lr) => momentum({ learningRate: lr, momentum: 0.5 })],
      ['adam', (lr) => adam(lr), (lr) => adam({ learningRate: lr })],
      ['adamw', (lr) => adamw(lr), (lr) => adamw({ learningRate: lr })],
      ['rmsprop', (lr) => rmsprop(lr), (lr) => rmsprop({ learningRate: lr })],
      ['adagrad', (lr) => adagrad(lr), (lr) => adagrad({ learningRate: lr })],
    ];
    for (const [name, short, long] of makers) {
      const a = run(short(0.3));
      expect({ name, steps: a }).toEqual({ name, steps: run(long(0.3)) });
      expect({ name, steps: a }).not.toEqual({ name, steps: run(long(0.2)) });
    }
  });

  it('sgd and momentum need a rate; a bad rate is an error naming the optimizer', () => {
    expect(caught(() => sgd(undefined as never)).detail).toBe('sgd: needs a learningRate, e.g. sgd(0.1)');
    expect(caught(() => momentum({} as never)).detail).toBe('momentum: needs a learningRate, e.g. momentum(0.1)');
    expect(caught(() => adam(Number.NaN)).detail).toBe(
      'adam: learningRate must be a finite number, an f32[] Variable or a schedule; got NaN',
    );
    const vector = variable([0.1, 0.2], { name: 'lr' });
    expect(caught(() => sgd(vector)).detail).toBe(
      "sgd: learningRate must be a finite number, an f32[] Variable or a schedule; got variable 'lr' f32[2]",
    );
  });

  it('a Variable rate is read at every step, so it can change between steps', () => {
    const lr = variable(0.1, { name: 'lr' });
    const opt = sgd(lr);
    const w = new Variable(tensor(W0));
    opt.apply(w, tensor(G1));
    lr.assign(tensor(0.01));
    opt.apply(w, tensor(G2));
    expectTensor(
      w.value,
      [3],
      W0.map((v, i) => v - 0.1 * G1[i]! - 0.01 * G2[i]!),
    );
  });

  it('a schedule is evaluated at the step count, which starts at 0 and counts apply calls', () => {
    const opt = sgd(exponentialDecay({ initialValue: 0.1, decaySteps: 1, decayRate: 0.5 }));
    expect(opt.iterations.dtype).toBe('i32');
    expect(opt.currentLearningRate().item()).toBeCloseTo(0.1, 7);
    const expected = reference((w, g, _i, t) => w - 0.1 * 0.5 ** t * g);
    expectSteps(run(opt), expected);
    expect(opt.iterations.value.item()).toBe(3);
    expect(opt.currentLearningRate().item()).toBeCloseTo(0.0125, 7);
  });

  it('adam and rmsprop follow a schedule too', () => {
    const schedule = cosineDecay({ initialValue: 0.1, decaySteps: 2 });
    const rates = [0.1, 0.05, 0];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const expected = reference((w, g, i, step) => {
      const t = step + 1;
      m[i] = 0.9 * m[i]! + 0.1 * g;
      v[i] = 0.999 * v[i]! + 0.001 * g * g;
      return w - (((rates[step]! * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t)) * m[i]!) / (Math.sqrt(v[i]!) + 1e-8);
    });
    expectSteps(run(adam(schedule)), expected, ADAM_RTOL);
    const s = [0, 0, 0];
    const expectedRms = reference((w, g, i, step) => {
      s[i] = 0.99 * s[i]! + 0.01 * g * g;
      return w - (rates[step]! * g) / (Math.sqrt(s[i]!) + 1e-8);
    });
    expectSteps(run(rmsprop(schedule)), expectedRms, 1e-4);
  });

  it('init creates the state of every trainable variable before any step', () => {
    const a = new Variable(tensor([1, 2]), { name: 'a' });
    const frozen = new Variable(tensor([3]), { name: 'frozen', trainable: false });
    const opt = adam();
    opt.init({ a, frozen });
    expect([...opt.state.keys()]).toEqual([a]);
    expect(Object.keys(opt.state.get(a)!).sort()).toEqual(['m', 'step', 'v']);
    expect(opt.iterations.value.item()).toBe(0);
  });
});
