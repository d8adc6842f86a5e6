// Traced calls until one splits across 2 kernel threads, then nothing: the process must end on its
// own (the workers are unref'd). Prints what ran.
import * as k from 'kiln-jit';

k.setNumThreads(2);
const f = k.trace((x, w) => k.softmax(k.matmul(x, w), -1));
const x = k.randomNormal([256, 256], { seed: 1 });
const w = k.randomNormal([256, 256], { seed: 2 });
// The worker boots in the background (calls meanwhile run on this thread): call until one splits.
const threaded = () => k.compileStats().threads.threadedCalls;
let got = f(x, w).dataSync();
for (let tries = 0; threaded() === 0 && tries < 400; tries++) {
  await new Promise((resolve) => setTimeout(resolve, 25));
  got = f(x, w).dataSync();
}
const want = k.softmax(k.matmul(x, w), -1).dataSync();
console.log(
  JSON.stringify({
    threads: f.inspect(x, w).kernels.map((kernel) => kernel.threads),
    workersStarted: k.compileStats().threads.workersStarted,
    threaded: threaded() > 0,
    agrees: got.every((v, i) => Math.abs(v - want[i]) <= 2e-5 + 2e-4 * Math.abs(want[i])),
  }),
);
