/**
 * Training loops on the Wasm backend: fresh randomness in a traced step without retracing,
 * eager and traced draws from one seed agreeing, checkpoints resuming a traced run bit for bit,
 * and a dataset's final partial batch costing one trace.
 */
import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'kiln-training-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const data = (t: k.Tensor): number[] => Array.from(t.dataSync());

describe('randomBits on every backend', () => {
  it.each([1, 2, 3, 7, 8, 9, 17, 64, 1001])('%i elements: Wasm and the interpreter give the eager bits', (n) => {
    const key = k.tensor([-5, 2 ** 30 + 3], undefined, 'i32');
    const draw = (t: k.Tensor) => [k.random.bits(t, [n]), k.random.uniform(t, [n])];
    const eager = draw(key).map(data);
    for (const backend of ['wasm', 'interpreter']) {
      const f = k.trace(draw, { backend });
      expect(f(key).map(data)).toEqual(eager);
    }
  });

  it("split(key(0)) is JAX's: the same uint32 keys eagerly, interpreted and compiled", () => {
    const expected = [
      [4146024105, 967050713],
      [2718843009, 1272950319],
    ];
    const unsigned = (t: k.Tensor) => (t.toArray() as number[][]).map((row) => row.map((x) => x >>> 0));
    expect(unsigned(k.random.split(k.random.key(0)))).toEqual(expected);
    for (const backend of ['wasm', 'interpreter']) {
      expect(unsigned(k.trace((t: k.Tensor) => k.random.split(t), { backend })(k.random.key(0)))).toEqual(expected);
    }
  });

  it('uniform draws look uniform and normal draws look normal (a sanity check, not a proof)', () => {
    const u = data(k.trace((t: k.Tensor) => k.random.uniform(t, [20000]))(k.random.key(1)));
    const mean = u.reduce((a, b) => a + b, 0) / u.length;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01); // stddev of the mean: 0.002
    const z = data(k.trace((t: k.Tensor) => k.random.normal(t, [20000]))(k.random.key(2)));
    const zm = z.reduce((a, b) => a + b, 0) / z.length;
    const zv = z.reduce((a, b) => a + (b - zm) ** 2, 0) / z.length;
    expect(Math.abs(zm)).toBeLessThan(0.03);
    expect(Math.abs(zv - 1)).toBeLessThan(0.05);
  });
});

describe('dropout in a traced step', () => {
  const x = k.ones([16, 32]);

  it('a Generator gives a new mask on every call, traces once, and matches the eager sequence', () => {
    const gen = k.random.generator(42);
    const step = k.trace(function step(t: k.Tensor) {
      return k.dropout(t, 0.5, gen);
    });
    const traced = [step(x), step(x), step(x)].map(data);
    expect(step.tracingCount).toBe(1);
    expect(traced[0]).not.toEqual(traced[1]);
    expect(traced[1]).not.toEqual(traced[2]);
    for (const mask of traced) expect(new Set(mask)).toEqual(new Set([0, 2]));
    const eagerGen = k.random.generator(42);
    expect([0, 1, 2].map(() => data(k.dropout(x, 0.5, eagerGen)))).toEqual(traced);
    expect(data(gen.state.value)).toEqual(data(eagerGen.state.value));
  });

  it('keys passed as arguments (jax.random style) give new masks without retracing', () => {
    const step = k.trace(function step(t: k.Tensor, key: k.Tensor) {
      return k.dropout(t, 0.25, key);
    });
    let key = k.random.key(7);
    const masks: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const keys = k.random.split(key);
      key = k.random.keyAt(keys, 0);
      masks.push(data(step(x, k.random.keyAt(keys, 1))));
    }
    expect(step.tracingCount).toBe(1);
    expect(new Set(masks.map((m) => m.join())).size).toBe(4);
    expect(masks[0]).toEqual(data(k.dropout(x, 0.25, k.random.keyAt(k.random.split(k.random.key(7)), 1))));
  });

  it('a seed number still gives a fixed mask', () => {
    const step = k.trace((t: k.Tensor) => k.dropout(t, 0.5, 3));
    expect(data(step(x))).toEqual(data(step(x)));
    expect(data(step(x))).toEqual(data(k.dropout(x, 0.5, 3)));
  });
});

/** A small classifier trained by a traced step with dropout, clipping, a schedule and AdamW. */
function makeRun(seed: number) {
  const params = {
    w1: k.variable(k.glorotUniform([6, 16], seed), { name: 'w1' }),
    b1: k.variable(k.zeros([16]), { name: 'b1' }),
    w2: k.variable(k.glorotUniform([16, 3], seed + 1), { name: 'w2' }),
    b2: k.variable(k.zeros([3]), { name: 'b2' }),
  };
  const gen = k.random.generator(seed + 2);
  const opt = k.adamw(k.linearWarmup(k.cosineDecay({ initialValue: 0.05, decaySteps: 20 }), { warmupSteps: 3 }));
  type P = typeof params;
  const loss = (p: { [K in keyof P]: k.Tensor }, x: k.Tensor, y: k.Tensor) =>
    k.softmaxCrossEntropy(k.dense(k.dropout(k.relu(k.dense(x, p.w1, p.b1)), 0.1, gen), p.w2, p.b2), y);
  const step = k.trace(function trainStep(x: k.Tensor, y: k.Tensor) {
    const [value, grads] = k.valueAndGrad(loss)(params, x, y);
    opt.apply(params, k.clipByGlobalNorm(grads, 1));
    return value;
  });
  return { params, gen, opt, step };
}

const X = k.randomUniform([20, 6], { seed: 5, min: -1, max: 1 });
const Y = k.tensor(
  Array.from({ length: 20 }, (_, i) => i % 3),
  undefined,
  'i32',
);

describe('checkpoints of a traced training run', () => {
  it('saving mid-training and restoring into fresh variables resumes bit-identically', () => {
    const straight = makeRun(1);
    const losses = Array.from({ length: 8 }, () => straight.step(X, Y).item());

    const first = makeRun(1);
    for (let i = 0; i < 4; i++) first.step(X, Y);
    const path = join(dir, 'run.safetensors');
    k.saveCheckpoint(path, { params: first.params, optimizer: first.opt, variables: { rng: first.gen.state } });

    const resumed = makeRun(50); // other initial weights and generator
    const restored = k.restoreCheckpoint(path, {
      params: resumed.params,
      optimizer: resumed.opt,
      variables: { rng: resumed.gen.state },
    });
    expect(restored.step).toBe(4);
    const rest = Array.from({ length: 4 }, () => resumed.step(X, Y).item());
    expect(rest).toEqual(losses.slice(4));
    for (const name of ['w1', 'b1', 'w2', 'b2'] as const) {
      expect(data(resumed.params[name].value)).toEqual(data(straight.params[name].value));
    }
    expect(resumed.step.tracingCount).toBe(1);
  });
});

describe('datasets feeding a traced step', () => {
  it('the last partial batch traces once and is then cached, epoch after epoch', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const run = makeRun(3);
      const ds = k.data.fromTensors({ x: X, y: Y }).shuffle(0).batch(8); // 8, 8, 4
      const shapes: number[][] = [];
      for (let epoch = 0; epoch < 3; epoch++) {
        for (const { x, y } of ds) {
          run.step(x, y);
          shapes.push([...x.shape]);
        }
      }
      expect(shapes.slice(0, 3)).toEqual([
        [8, 6],
        [8, 6],
        [4, 6],
      ]);
      expect(shapes).toHaveLength(9);
      expect(run.step.tracingCount).toBe(2);
      expect(run.step.cacheEntries.map((e) => e.calls)).toEqual([6, 3]);
      expect(warn).not.toHaveBeenCalled();
      expect(run.opt.iterations.value.item()).toBe(9);
    } finally {
      warn.mockRestore();
    }
  });
});
