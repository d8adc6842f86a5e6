// A user's MLP 784-512-512-10 SGD training step (batch 128) in plain JavaScript, run with plain
// Node: times the first traced call and reports how it was compiled (persistent cache, compile
// worker, Binaryen in this thread), then runs `CALLS` steps and reports the process's peak RSS.
// Usage: node mlp-cache.mjs [CALLS]   (KILN_CACHE_DIR chooses the cache)
import {
  add,
  compileStats,
  glorotUniform,
  matmul,
  randomNormal,
  relu,
  sgd,
  softmaxCrossEntropy,
  tensor,
  trace,
  valueAndGrad,
  variable,
  zeros,
} from 'kiln-jit';

const SIZES = [784, 512, 512, 10];
const layers = SIZES.slice(1).map((out, i) => ({
  w: variable(glorotUniform([SIZES[i], out], 700 + i)),
  b: variable(zeros([out])),
}));
const optimizer = sgd({ learningRate: 0.01 });
const lossOf = (ls, x, labels) => {
  let h = x;
  ls.forEach(({ w, b }, i) => {
    const z = add(matmul(h, w), b);
    h = i < ls.length - 1 ? relu(z) : z;
  });
  return softmaxCrossEntropy(h, labels);
};
const step = trace((x, labels) => {
  const [loss, grads] = valueAndGrad((ls) => lossOf(ls, x, labels))(layers);
  optimizer.apply(layers, grads);
  return loss;
});

const x = randomNormal([128, 784], { seed: 710 });
const labels = tensor(
  Array.from({ length: 128 }, (_, i) => (i * 7) % 10),
  [128],
  'i32',
);
const t0 = performance.now();
const first = step(x, labels).item();
const firstCallMs = performance.now() - t0;
const calls = Number(process.argv[2] ?? 1);
let last = first;
for (let i = 1; i < calls; i++) last = step(x, labels).item();
const report = step.inspect(x, labels);
console.log(
  JSON.stringify({
    firstCallMs,
    first,
    last,
    fromCache: report.stats.fromCache,
    offThread: report.stats.offThread,
    compile: compileStats(),
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
