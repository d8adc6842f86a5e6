// Compiles three matmuls in the compile worker, changing KILN_RELAXED_SIMD in this thread between
// them (the worker's environment is a copy from its start), then reports which modules use FMA.
import { compileStats, matmul, ones, ready, runtimeFeatures, trace } from 'kiln-jit';

const compileWith = (rows, setting) => {
  if (setting === undefined) delete process.env.KILN_RELAXED_SIMD;
  else process.env.KILN_RELAXED_SIMD = setting;
  const f = trace((a, b) => matmul(a, b), { backend: 'wasm' });
  const [a, b] = [ones([rows, 16]), ones([16, 8])];
  f(a, b).dataSync();
  return { f, specs: [{ shape: a.shape }, { shape: b.shape }], offThread: f.inspect(a, b).stats.offThread };
};
const runs = [compileWith(8), compileWith(12, '0'), compileWith(20)];
const offThreadCompiles = compileStats().offThread.compiles;
await ready(); // to print the modules compiled in the worker
console.log(
  JSON.stringify({
    relaxedSimd: runtimeFeatures().relaxedSimd,
    offThreadCompiles,
    runs: runs.map((r) => ({
      offThread: r.offThread,
      fma: r.f.ir(...r.specs, { stage: 'wat' }).includes('f32x4.relaxed_madd'),
    })),
  }),
);
