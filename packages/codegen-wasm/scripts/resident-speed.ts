/**
 * @file Times traced calls with resident tensors in the two variants: the result read into
 * JavaScript (`dataSync()`: one fresh array) and the result chained into the next traced call (no
 * copy at all). Median and best of N runs, one thread; the machine is shared, so read the ratios.
 *
 *   node scripts/run-ts.mjs packages/codegen-wasm/scripts/resident-speed.ts [--runs N]
 */
import * as k from 'kiln-jit';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 30;

const gelu9 = (x: k.Tensor) =>
  k.mul(k.mul(x, 0.5), k.add(1, k.tanh(k.mul(k.add(x, k.mul(k.mul(k.mul(x, x), x), 0.044715)), 0.7978845608))));
const ramp = (shape: number[]) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return k.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.001)),
    shape,
  );
};

const workloads = [
  { name: 'GELU 2^20 as 9 ops', fn: gelu9, shape: [1 << 20] },
  { name: 'row softmax 1024x1024', fn: (x: k.Tensor) => k.softmax(x, -1), shape: [1024, 1024] },
  { name: 'layernorm 4096x1024', fn: (x: k.Tensor) => k.layerNorm(x), shape: [4096, 1024] },
];

function time(body: () => void): { median: number; best: number } {
  for (let i = 0; i < 3; i++) body();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    body();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[Math.floor(ms.length / 2)]!, best: ms[0]! };
}

const fmt = (t: { median: number; best: number }) => `${t.median.toFixed(2)} ms (best ${t.best.toFixed(2)})`;
for (const w of workloads) {
  const f = k.trace(w.fn, { name: 'bench' });
  const x = ramp(w.shape);
  const read = time(() => void f(x).dataSync());
  // The same, freeing each result at once instead of leaving it to the garbage collector.
  const readDisposed = time(() => {
    const r = f(x);
    r.dataSync();
    r.dispose();
  });
  let y = f(x);
  // Chained: each call's input is the previous call's resident result.
  const chained = time(() => {
    const next = f(y);
    y.dispose();
    y = next;
  });
  console.log(`${w.name}: read ${fmt(read)}, read+dispose ${fmt(readDisposed)}, chained ${fmt(chained)}`);
}
