/**
 * @file The README's demo: an MLP learns the two-spirals problem. The training step (forward,
 * gradients, Adam update of the variables) is traced once and runs as WebAssembly afterwards;
 * the same step run eagerly gives the timing to compare with.
 * Run with `node scripts/run-ts.mjs examples/spirals-demo.ts [steps]`.
 */
import { trace, type Tensor } from 'kiln-jit';
import { makeSpirals, trainSpirals } from './spirals.ts';

type Step = (x: Tensor, y: Tensor) => Tensor;

const steps = Number(process.argv[2] ?? 400);
const data = makeSpirals({ pointsPerClass: 100, turns: 2, noise: 0.03, seed: 0 });
console.log(`two spirals: ${data.x.shape[0]} points; MLP 2 -> 32 -> 32 -> 2 (relu), Adam, full batch, ${steps} steps`);
console.log('traced training step (WebAssembly):');
console.log('  step      loss  accuracy');

interface Clock {
  first: number;
  rest: number;
  calls: number;
}

/** Wraps a step so the time spent inside it is counted (the first call apart). */
function timed(step: Step, clock: Clock): Step {
  return (x, y) => {
    const t0 = performance.now();
    const loss = step(x, y);
    const ms = performance.now() - t0;
    if (clock.calls++ === 0) clock.first = ms;
    else clock.rest += ms;
    return loss;
  };
}

const perStep = (c: Clock): number => (1000 * c.rest) / (c.calls - 1);
const tracedClock: Clock = { first: 0, rest: 0, calls: 0 };
let tracingCount = 0;
const traced = trainSpirals({
  data,
  steps,
  learningRate: 0.02,
  every: 50,
  compile: (step) => {
    const t = trace(step, { name: 'trainStep' });
    return timed((x, y) => {
      const loss = t(x, y);
      tracingCount = t.tracingCount;
      return loss;
    }, tracedClock);
  },
  onProgress: (step, loss, accuracy) => {
    console.log(
      `${String(step).padStart(6)}  ${loss.toFixed(4).padStart(8)}  ${(100 * accuracy).toFixed(1).padStart(7)}%`,
    );
  },
});
console.log(
  `final training accuracy ${(100 * traced.accuracy).toFixed(1)}% (loss ${traced.loss.toFixed(4)}); traced ${tracingCount} time`,
);

const eagerClock: Clock = { first: 0, rest: 0, calls: 0 };
const eager = trainSpirals({
  data,
  steps,
  learningRate: 0.02,
  every: steps,
  compile: (step) => timed(step, eagerClock),
});
console.log(
  `the same training run eagerly: accuracy ${(100 * eager.accuracy).toFixed(1)}%, loss ${eager.loss.toFixed(4)}`,
);
console.log(`first traced call (trace + optimize + compile to Wasm): ${tracedClock.first.toFixed(0)} ms`);
console.log(
  `each later step: traced ${perStep(tracedClock).toFixed(0)} µs, eager ${perStep(eagerClock).toFixed(0)} µs ` +
    `(${(perStep(eagerClock) / perStep(tracedClock)).toFixed(1)}x faster traced)`,
);
