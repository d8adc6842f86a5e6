/**
 * @file The README's demo: an MLP learns the two-spirals problem with Kiln's eager API.
 * Run with `node scripts/run-ts.mjs examples/spirals-demo.ts [steps]`.
 */
import { makeSpirals, trainSpirals } from './spirals.ts';

const steps = Number(process.argv[2] ?? 400);
const data = makeSpirals({ pointsPerClass: 100, turns: 2, noise: 0.03, seed: 0 });
console.log(`two spirals: ${data.x.shape[0]} points; MLP 2 -> 32 -> 32 -> 2 (relu), Adam, full batch, ${steps} steps`);
console.log('  step      loss  accuracy');
const start = performance.now();
const result = trainSpirals({
  data, steps, learningRate: 0.02, every: 50,
  onProgress: (step, loss, accuracy) => {
    console.log(`${String(step).padStart(6)}  ${loss.toFixed(4).padStart(8)}  ${(100 * accuracy).toFixed(1).padStart(7)}%`);
  },
});
const seconds = (performance.now() - start) / 1000;
console.log(`final training accuracy ${(100 * result.accuracy).toFixed(1)}% (loss ${result.loss.toFixed(4)}) in ${seconds.toFixed(1)} s`);
