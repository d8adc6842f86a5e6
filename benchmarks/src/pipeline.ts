/**
 * @file How long the pass pipeline takes on the MLP 784-512-512-10 training step graph (SGD and
 * Adam), pass by pass, and how the graph shrinks: the figures for the passes issue.
 * Run: node scripts/run-ts.mjs benchmarks/src/pipeline.ts
 */
import * as k from 'kiln-jit';

function mlpStep(optimizer: k.Optimizer) {
  const sizes = [784, 512, 512, 10];
  const params = sizes.slice(1).map((out, i) => ({
    w: k.variable(k.zeros([sizes[i]!, out]), { name: `w${i + 1}` }),
    b: k.variable(k.zeros([out]), { name: `b${i + 1}` }),
  }));
  const loss = (p: { w: k.Tensor; b: k.Tensor }[], x: k.Tensor, y: k.Tensor): k.Tensor => {
    let h: k.Tensor = x;
    p.forEach(({ w, b }, i) => (h = i < p.length - 1 ? k.relu(k.dense(h, w, b)) : k.dense(h, w, b)));
    return k.softmaxCrossEntropy(h, y);
  };
  return k.trace(function trainStep(x: k.Tensor, y: k.Tensor) {
    const [value, grads] = k.valueAndGrad(loss)(params, x, y);
    optimizer.apply(params, grads);
    return value;
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const specs = [{ shape: [128, 784] }, { shape: [128], dtype: 'i32' as const }];

for (const [label, make] of [
  ['SGD', () => k.sgd({ learningRate: 0.1 })],
  ['Adam', () => k.adam()],
] as const) {
  const step = mlpStep(make());
  const traced = step.stages(...specs)[0]!.graph;
  const runs = Array.from({ length: 30 }, () => {
    const t0 = performance.now();
    const stages = k.runPipeline(traced, k.DEFAULT_PASSES, { memoryPolicy: k.wasmMemoryPolicy });
    return { total: performance.now() - t0, stages };
  });
  const perPass = k.DEFAULT_PASSES.map(
    (name) => [name, median(runs.map((r) => r.stages.find((s) => s.name === name)!.ms))] as const,
  );
  const last = runs.at(-1)!.stages;
  const count = (name: string): number => last.find((s) => s.name === name)!.graph.nodes.length;
  const planned = last.find((s) => s.name === 'planned')!.graph;
  const traceMs = median(
    Array.from({ length: 10 }, () => {
      step.clearCache();
      const t0 = performance.now();
      step.stages(...specs);
      return performance.now() - t0;
    }),
  );
  console.log(`MLP 784-512-512-10 train step, batch 128, ${label}:`);
  console.log(
    `  nodes: traced ${traced.nodes.length}, optimized ${count('optimized')}, fused ${count('fused')} (${k.kernelCount(planned)} kernels)`,
  );
  console.log(
    `  pass pipeline: median ${median(runs.map((r) => r.total)).toFixed(2)} ms (${perPass.map(([n, ms]) => `${n} ${ms.toFixed(2)}`).join(', ')}), verifier included`,
  );
  console.log(`  trace + pipeline: median ${traceMs.toFixed(1)} ms`);
}
