/**
 * @file Soak test: (1) 10,000 calls of a traced MLP training step (784-512-512-10, batch 128,
 * SGD) with the process RSS sampled, which must stay flat (< 5% growth after warm-up); (2) 1,000
 * distinct signatures traced through one function, whose cache must stay bounded (LRU) and whose
 * memory must level off.
 * Run: node scripts/run-ts.mjs packages/kiln/scripts/soak.ts [--calls N] [--signatures N]
 */
import * as k from '../src/index.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function trainStepSoak(calls: number): boolean {
  const sizes = [784, 512, 512, 10];
  const params = sizes.slice(1).map((out, i) => ({
    w: k.variable(k.glorotUniform([sizes[i]!, out], i + 1), { name: `w${i}` }),
    b: k.variable(k.zeros([out]), { name: `b${i}` }),
  }));
  const opt = k.sgd({ learningRate: 0.01 });
  const loss = (p: { w: k.Tensor; b: k.Tensor }[], x: k.Tensor, y: k.Tensor): k.Tensor => {
    let h: k.Tensor = x;
    p.forEach(({ w, b }, i) => (h = i < p.length - 1 ? k.relu(k.dense(h, w, b)) : k.dense(h, w, b)));
    return k.softmaxCrossEntropy(h, y);
  };
  const step = k.trace(function trainStep(x: k.Tensor, y: k.Tensor) {
    const [value, grads] = k.valueAndGrad(loss)(params, x, y);
    opt.apply(params, grads);
    return value;
  });
  const x = k.randomNormal([128, 784], { seed: 7 });
  const y = k.cast(k.mul(k.randomUniform([128], { seed: 8 }), 10), 'i32');
  const warmup = Math.min(1000, Math.floor(calls / 10));
  const samples: number[] = [];
  const t0 = performance.now();
  let last = 0;
  for (let i = 1; i <= calls; i++) {
    last = step(x, y).item() as number;
    if (i >= warmup && i % 500 === 0) samples.push(process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  const base = samples[0]!;
  const peak = Math.max(...samples);
  const growth = (samples.at(-1)! - base) / base;
  console.log(
    `train step: ${calls} calls in ${seconds.toFixed(1)} s (${((1000 * seconds) / calls).toFixed(2)} ms/call), final loss ${last.toFixed(4)}`,
  );
  console.log(
    `  RSS after warm-up ${mib(base)}, at the end ${mib(samples.at(-1)!)}, peak ${mib(peak)}: growth ${(100 * growth).toFixed(2)}% (limit 5%)`,
  );
  console.log(`  traced ${step.tracingCount} time(s); wasm memory reserved ${mib(k.sharedMemory().reservedBytes)}`);
  return growth < 0.05 && step.tracingCount === 1;
}

function signatureSoak(signatures: number): boolean {
  const f = k.trace((v: k.Tensor) => k.tanh(k.add(k.mul(v, 2), 1)));
  const warn = console.warn;
  console.warn = () => {}; // every call retraces on purpose: the storm warning is expected here
  const rss: number[] = [];
  const wasm: number[] = [];
  try {
    for (let n = 1; n <= signatures; n++) {
      f(k.ones([n]));
      if (n % 100 === 0) {
        rss.push(process.memoryUsage().rss);
        wasm.push(k.sharedMemory().reservedBytes);
      }
    }
  } finally {
    console.warn = warn;
  }
  const entries = f.cacheEntries.length;
  console.log(
    `signatures: ${signatures} distinct shapes traced; cache holds ${entries} (bound ${f.options.maxCacheEntries ?? 64}, least recently used dropped)`,
  );
  console.log(`  RSS every 100 signatures: ${rss.map(mib).join(', ')}`);
  console.log(`  wasm memory reserved: ${wasm.map(mib).join(', ')}`);
  const secondHalfGrowth = (rss.at(-1)! - rss[Math.floor(rss.length / 2)]!) / rss[Math.floor(rss.length / 2)]!;
  console.log(`  RSS growth over the second half: ${(100 * secondHalfGrowth).toFixed(2)}%`);
  return entries <= 64 && secondHalfGrowth < 0.1;
}

const ok1 = trainStepSoak(arg('calls', 10000));
const ok2 = signatureSoak(arg('signatures', 1000));
console.log(ok1 && ok2 ? 'soak: OK' : 'soak: FAILED');
process.exit(ok1 && ok2 ? 0 : 1);
