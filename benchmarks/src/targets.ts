/**
 * @file The codegen-wasm issue's targets, measured in one run with eager as the reference:
 * MLP 784-512-512-10 SGD train step (batch 128), GELU as 9 ops on 2^20 elements, matmul 512 and
 * 1024 (GFLOP/s), row softmax 1024x1024, layernorm 4096x1024, and the first call (trace + compile)
 * of the MLP train step with Binaryen already loaded. Wall-clock medians; the machine is shared.
 * Run: node scripts/run-ts.mjs benchmarks/src/targets.ts
 */
import * as k from 'kiln-jit';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function time(f: () => unknown, reps: number): number {
  for (let i = 0; i < Math.min(3, reps); i++) f();
  return median(
    Array.from({ length: reps }, () => {
      const t0 = performance.now();
      f();
      return performance.now() - t0;
    }),
  );
}

function mlpStep() {
  const sizes = [784, 512, 512, 10];
  const params = sizes.slice(1).map((out, i) => ({
    w: k.variable(k.glorotUniform([sizes[i]!, out], i + 1)),
    b: k.variable(k.zeros([out])),
  }));
  const opt = k.sgd({ learningRate: 0.01 });
  const loss = (p: { w: k.Tensor; b: k.Tensor }[], x: k.Tensor, y: k.Tensor): k.Tensor => {
    let h: k.Tensor = x;
    p.forEach(({ w, b }, i) => (h = i < p.length - 1 ? k.relu(k.dense(h, w, b)) : k.dense(h, w, b)));
    return k.softmaxCrossEntropy(h, y);
  };
  return (x: k.Tensor, y: k.Tensor): k.Tensor => {
    const [value, grads] = k.valueAndGrad(loss)(params, x, y);
    opt.apply(params, grads);
    return value;
  };
}

function gelu(x: k.Tensor): k.Tensor {
  const inner = k.mul(k.add(x, k.mul(k.mul(k.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return k.mul(k.mul(x, 0.5), k.add(k.tanh(inner), 1));
}

const x = k.randomNormal([128, 784], { seed: 1 });
const y = k.cast(k.mul(k.randomUniform([128], { seed: 2 }), 10), 'i32');
const traced = k.trace(mlpStep());
const t0 = performance.now();
traced(x, y).item();
const firstCall = performance.now() - t0;

interface Row {
  name: string;
  eager: number;
  wasm: number;
  target: number;
  unit?: (ms: number) => string;
}
const rows: Row[] = [];
const add = (
  name: string,
  eagerFn: () => unknown,
  wasmFn: () => unknown,
  target: number,
  reps: number,
  unit?: Row['unit'],
) => rows.push({ name, eager: time(eagerFn, Math.max(3, reps >> 3)), wasm: time(wasmFn, reps), target, unit });

const eagerStep = mlpStep();
add(
  'MLP 784-512-512-10 SGD step, batch 128',
  () => eagerStep(x, y).item(),
  () => traced(x, y).item(),
  14,
  40,
);
const big = k.randomNormal([1 << 20], { seed: 3 });
const tracedGelu = k.trace(gelu);
add(
  'GELU as 9 ops, 2^20 elements',
  () => gelu(big),
  () => tracedGelu(big),
  1.5,
  40,
);
const mm = k.trace((a: k.Tensor, b: k.Tensor) => k.matmul(a, b));
const m512 = k.randomNormal([512, 512], { seed: 4 });
const m1024 = k.randomNormal([1024, 1024], { seed: 5 });
const gflops = (n: number) => (ms: number) => `${((2 * n ** 3) / ms / 1e6).toFixed(1)} GFLOP/s`;
add(
  'matmul 512',
  () => k.matmul(m512, m512),
  () => mm(m512, m512),
  (2 * 512 ** 3) / 35e6,
  40,
  gflops(512),
);
add(
  'matmul 1024',
  () => k.matmul(m1024, m1024),
  () => mm(m1024, m1024),
  (2 * 1024 ** 3) / 35e6,
  20,
  gflops(1024),
);
const sm = k.trace((t: k.Tensor) => k.softmax(t));
add(
  'row softmax 1024x1024',
  () => k.softmax(m1024),
  () => sm(m1024),
  1.2,
  40,
);
const ln = k.trace((t: k.Tensor, g: k.Tensor, b: k.Tensor) => k.layerNorm(t, g, b));
const l = k.randomNormal([4096, 1024], { seed: 6 });
const gamma = k.ones([1024]);
const beta = k.zeros([1024]);
add(
  'layernorm 4096x1024',
  () => k.layerNorm(l, gamma, beta),
  () => ln(l, gamma, beta),
  3.5,
  30,
);
// What moving data costs by itself: a traced call that only negates 2^20 and 2^22 floats.
const neg = k.trace((t: k.Tensor) => k.neg(t));
add(
  '(copy in + neg + copy out, 2^20 floats)',
  () => k.neg(big),
  () => neg(big),
  NaN,
  40,
);
add(
  '(copy in + neg + copy out, 2^22 floats)',
  () => k.neg(l),
  () => neg(l),
  NaN,
  30,
);

const fmt = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
console.log('workload                                    eager ms   wasm ms   ratio   target        met');
for (const r of rows) {
  const target = Number.isNaN(r.target) ? '' : r.unit ? '>= 35 GFLOP/s' : `<= ${r.target} ms`;
  const met = Number.isNaN(r.target) ? '' : r.wasm <= r.target ? 'yes' : `no (${(r.wasm / r.target).toFixed(1)}x)`;
  const extra = r.unit ? `  ${r.unit(r.wasm)}` : '';
  console.log(
    `${r.name.padEnd(42)} ${fmt(r.eager).padStart(9)} ${fmt(r.wasm).padStart(9)} ${(r.eager / r.wasm).toFixed(1).padStart(6)}x   ${target.padEnd(13)} ${met}${extra}`,
  );
}
console.log(
  `first call of the MLP train step (trace + passes + compile + run, Binaryen loaded): ${firstCall.toFixed(0)} ms (target <= 300 ms)`,
);
