/**
 * @file Eager-mode timings of the core workloads: each runs a few times to warm up, then the
 * median (and spread) of several timed runs is printed as a table.
 * Run with `node scripts/run-ts.mjs benchmarks/src/eager.ts`.
 */
import {
  add, glorotUniform, matmul, mul, randomNormal, randomUniform, relu, sgd, softmaxCrossEntropy, tanh, tensor,
  valueAndGrad, Variable, zeros, type Tensor,
} from '../../packages/core/src/index.ts';

interface Timing { name: string; runs: number; median: number; min: number; max: number; note: string }

/** Milliseconds of each of `runs` calls of `fn`, after `warmup` untimed calls. */
function time(fn: () => void, warmup: number, runs: number): number[] {
  for (let i = 0; i < warmup; i++) fn();
  return Array.from({ length: runs }, () => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  });
}

function summarize(name: string, samples: number[], note = ''): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { name, runs: samples.length, median, min: sorted[0]!, max: sorted.at(-1)!, note };
}

/** One SGD step of a 784-512-512-10 relu MLP on a batch of 128, softmax cross-entropy loss. */
function mlpTrainStep(): Timing {
  const sizes = [784, 512, 512, 10];
  const params = sizes.slice(1).map((out, i) => ({
    w: new Variable(glorotUniform([sizes[i]!, out], 10 + i)),
    b: new Variable(zeros([out])),
  }));
  const x = randomNormal([128, 784], { seed: 1 });
  const labels = tensor(Array.from(randomUniform([128], { seed: 2, max: 10 }).dataSync(), Math.floor), [128], 'i32');
  const loss = (ps: typeof params, input: Tensor, y: Tensor) => {
    let h: Tensor = input;
    ps.forEach(({ w, b }, i) => {
      const z = add(matmul(h, w), b);
      h = i < ps.length - 1 ? relu(z) : z;
    });
    return softmaxCrossEntropy(h, y);
  };
  const step = valueAndGrad(loss);
  const opt = sgd({ learningRate: 0.01 });
  const samples = time(() => {
    const [, grads] = step(params, x, labels);
    opt.apply(params, grads);
  }, 2, 7);
  return summarize('MLP 784-512-512-10 train step, batch 128 (SGD)', samples);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU, tanh form, as 9 separate ops on 2^20 elements. */
function geluOps(): Timing {
  const x = randomNormal([1 << 20], { seed: 3 });
  const gelu = (v: Tensor) => {
    const cube = mul(mul(v, v), v);
    const inner = mul(add(v, mul(cube, 0.044715)), SQRT_2_OVER_PI);
    return mul(mul(v, 0.5), add(tanh(inner), 1));
  };
  const samples = time(() => void gelu(x), 3, 15);
  const t = summarize('GELU (tanh form) as 9 ops, 2^20 elements', samples);
  t.note = `${((1 << 20) * 9 / (t.median * 1e3)).toFixed(0)} M elements·op/s`;
  return t;
}

function matmul512(): Timing {
  const a = randomNormal([512, 512], { seed: 4 });
  const b = randomNormal([512, 512], { seed: 5 });
  const samples = time(() => void matmul(a, b), 2, 9);
  const t = summarize('matmul 512x512 · 512x512', samples);
  t.note = `${(2 * 512 ** 3 / (t.median * 1e6)).toFixed(2)} GFLOP/s`;
  return t;
}

/** Per-op overhead: 1000 dependent adds on 16-element tensors. */
function addChain(): Timing {
  const x = randomNormal([16], { seed: 6 });
  const one = randomNormal([16], { seed: 7 });
  const samples = time(() => {
    let y = x;
    for (let i = 0; i < 1000; i++) y = add(y, one);
  }, 20, 51);
  const t = summarize('chain of 1000 adds, 16 elements', samples);
  t.note = `${(t.median).toFixed(2)} µs/op`;
  return t;
}

function printTable(rows: Timing[]): void {
  const header = ['workload', 'median ms', 'min ms', 'max ms', 'runs', ''];
  const cells = rows.map((r) => [r.name, r.median.toFixed(2), r.min.toFixed(2), r.max.toFixed(2), String(r.runs), r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((s, i) => (i === 0 || i === 5 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join('  ').trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

console.log(`Kiln eager benchmarks (node ${process.version}, median after warm-up)\n`);
printTable([mlpTrainStep(), geluOps(), matmul512(), addChain()]);
