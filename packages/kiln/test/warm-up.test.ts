/**
 * An executable's first calls (compile.ts: 2, or KILN_WARM_CALLS) run its warm-up entry: on the
 * calling thread, each split kernel in pieces, so that V8's optimized code takes over within the
 * first call. The pieces never divide one output's sum, so those calls are bit-identical to the
 * split calls after them and to a run with no warm-up; training steps included.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';
import { expectTreeClose, type Tolerance } from '../../tracer/test/support/compare.ts';

const WASM: Tolerance = { rtol: 2e-4, atol: 2e-5 };

// Every kernel that can be split is, even here; KILN_WARM_CALLS is left to its default.
const saved = new Map<string, string | undefined>();
beforeAll(() => {
  for (const name of ['KILN_PARALLEL_MIN_WORK', 'KILN_WARM_CALLS']) saved.set(name, process.env[name]);
  process.env.KILN_PARALLEL_MIN_WORK = '0';
  delete process.env.KILN_WARM_CALLS;
  k.setNumThreads(2);
});
afterAll(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const layer = (x: k.Tensor, w: k.Tensor, b: k.Tensor) => k.softmax(k.relu(k.add(k.matmul(x, w), b)), -1);
const layerArgs = () => [k.randomNormal([64, 48], { seed: 1 }), k.randomNormal([48, 32], { seed: 2 }), k.zeros([32])];

function sgdStep() {
  const w = k.variable(k.randomNormal([48, 16], { seed: 3, stddev: 0.2 }));
  const b = k.variable(k.zeros([16]));
  const opt = k.sgd({ learningRate: 0.1 });
  const loss = (p: { w: k.Tensor; b: k.Tensor }, x: k.Tensor, y: k.Tensor) =>
    k.softmaxCrossEntropy(k.add(k.matmul(x, p.w), p.b), y);
  const step = (x: k.Tensor, y: k.Tensor) => {
    const [value, grads] = k.valueAndGrad(loss)({ w, b }, x, y);
    opt.apply({ w, b }, grads);
    return value;
  };
  return { step, variables: [w, b] };
}

const stepData = () => [
  k.randomNormal([64, 48], { seed: 4 }),
  k.tensor(
    Array.from({ length: 64 }, (_, i) => i % 16),
    [64],
    'i32',
  ),
];

describe('the warm-up entry', () => {
  it('runs the first two calls, on one thread, bit-identical to the split calls after them', async () => {
    const f = k.trace(layer);
    const args = layerArgs();
    const call = () => f(...(args as [k.Tensor, k.Tensor, k.Tensor])).dataSync();
    const stats = () => ({ warm: k.compileStats().warmUpCalls, threaded: k.compileStats().threads.threadedCalls });
    const before = stats();
    const runs = [call(), call()];
    expect(stats()).toEqual({ warm: before.warm + 2, threaded: before.threaded });
    // The worker boots meanwhile; calls before it is up run on this thread (no wait), so call
    // until one splits, then two more must split too.
    for (let tries = 0; stats().threaded === before.threaded && tries < 400; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      runs.push(call());
    }
    const up = stats().threaded;
    runs.push(call(), call());
    expect({ warm: stats().warm - before.warm, split: stats().threaded - up }).toEqual({ warm: 2, split: 2 });
    for (const r of runs) expect(Array.from(r)).toEqual(Array.from(runs[0]!));
    const eager = layer(...(args as [k.Tensor, k.Tensor, k.Tensor]));
    expectTreeClose(k.tensor(Array.from(runs[0]!), eager.shape), eager, WASM);
  });

  it('trains to the same variables, bit for bit, as a run with no warm-up (KILN_WARM_CALLS=0), and as eager', () => {
    const train = (traced: boolean) => {
      const { step, variables } = sgdStep();
      const fn = traced ? k.trace(step) : step;
      const [x, y] = stepData();
      const losses = [0, 1, 2, 3, 4].map(() => fn(x!, y!).item());
      return { losses, variables: variables.map((v) => Array.from(v.read().dataSync())) };
    };
    const before = k.compileStats().warmUpCalls;
    const warm = train(true);
    expect(k.compileStats().warmUpCalls - before).toBe(2);
    process.env.KILN_WARM_CALLS = '0';
    let cold: ReturnType<typeof train>;
    try {
      cold = train(true);
    } finally {
      delete process.env.KILN_WARM_CALLS;
    }
    expect(k.compileStats().warmUpCalls - before).toBe(2);
    expect(warm).toEqual(cold);
    const eager = train(false);
    const asTensors = (r: typeof warm) => [k.tensor(r.losses), ...r.variables.map((v) => k.tensor(v))];
    expectTreeClose(asTensors(warm), asTensors(eager), WASM);
  });
});
