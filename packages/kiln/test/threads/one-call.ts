/**
 * One traced call big enough to split (a 256×256 matmul and a row softmax), then nothing: the
 * process must end on its own with its kernel workers still idle. Prints a JSON report.
 */
import * as k from 'kiln-jit';

const f = k.trace((x: k.Tensor, w: k.Tensor) => k.softmax(k.matmul(x, w), -1));
const x = k.randomNormal([256, 256], { seed: 1 });
const w = k.randomNormal([256, 256], { seed: 2 });
const got = f(x, w).dataSync();
const want = k.softmax(k.matmul(x, w), -1).dataSync();
const agrees = got.every((v, i) => Math.abs(v - want[i]!) <= 2e-5 + 2e-4 * Math.abs(want[i]!));
console.log(
  JSON.stringify({
    threads: k.getNumThreads(),
    kernels: f.inspect(x, w).kernels,
    workersStarted: k.compileStats().threads.workersStarted,
    agrees,
  }),
);
