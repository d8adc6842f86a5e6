/**
 * @file What it would cost to write an activation as a composition of primitives instead of as a
 * primitive of its own: eager and traced (Wasm), forward and gradient, on 2^20 elements, with the
 * kernel count after fusion. Decides which activations stay primitives (README: adding an op).
 *
 *   node scripts/run-ts.mjs benchmarks/src/composition-cost.ts [--runs N] [--only NAME]
 *
 * Times are CPU time per call: each sample runs a variant enough times to take ~40 ms, samples of
 * the primitive and the composition alternate (so load from other processes hits both alike),
 * and the figure is the first quartile of N samples (default 15).
 */
import * as k from 'kiln-jit';
import type { Tensor } from 'kiln-jit';

const SIZE = 1 << 20;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const onlyArg = process.argv.indexOf('--only');
const ONLY = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;

interface Candidate {
  name: string;
  primitive: (x: Tensor) => Tensor;
  composed: (x: Tensor) => Tensor;
}

const { scale, cubic } = k.GELU_TANH;
const CANDIDATES: readonly Candidate[] = [
  {
    name: 'softplus',
    primitive: k.softplus,
    composed: (x) => k.add(k.relu(x), k.log1p(k.exp(k.neg(k.abs(x))))),
  },
  {
    name: 'gelu (tanh)',
    primitive: (x) => k.gelu(x),
    composed: (x) =>
      k.mul(k.mul(x, 0.5), k.add(k.tanh(k.mul(k.add(x, k.mul(k.mul(k.mul(x, x), x), cubic)), scale)), 1)),
  },
  {
    name: 'silu',
    primitive: k.silu,
    composed: (x) => k.mul(x, k.sigmoid(x)),
  },
];

/** CPU milliseconds per call of `fn`, over `reps` calls. */
function cpuMs(fn: () => void, reps: number): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000 / reps;
}

const quartile = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 4)]!;

interface Variant {
  label: string;
  run: () => void;
  kernels?: number;
}

function variants(f: (x: Tensor) => Tensor, x: Tensor): Variant[] {
  const loss = (t: Tensor): Tensor => k.sum(f(t));
  const grad = k.grad(loss);
  const fwd = k.trace(f);
  const bwd = k.trace(grad);
  const stats = (t: typeof fwd) => t.inspect(x).stats.kernels;
  return [
    { label: 'eager fwd', run: () => void f(x).dataSync() },
    { label: 'wasm fwd', run: () => void fwd(x).dataSync(), kernels: stats(fwd) },
    { label: 'eager grad', run: () => void grad(x).dataSync() },
    { label: 'wasm grad', run: () => void bwd(x).dataSync(), kernels: stats(bwd as unknown as typeof fwd) },
  ];
}

function main(): void {
  const x = k.randomNormal([SIZE], { seed: 7, stddev: 2 });
  console.log(`CPU ms per call (first quartile of ${RUNS} samples), 2^20 elements; other work may be running`);
  console.log('op            mode         primitive  composed   ratio  kernels (prim/comp)');
  for (const c of CANDIDATES.filter((c) => ONLY === undefined || c.name.startsWith(ONLY))) {
    const prim = variants(c.primitive, x);
    const comp = variants(c.composed, x);
    prim.forEach((p, i) => {
      const q = comp[i]!;
      p.run(); // warm up (trace, compile)
      q.run();
      const reps = Math.max(1, Math.round(40 / Math.max(cpuMs(p.run, 1), cpuMs(q.run, 1))));
      const times: [number[], number[]] = [[], []];
      for (let r = 0; r < RUNS; r++) {
        times[0].push(cpuMs(p.run, reps));
        times[1].push(cpuMs(q.run, reps));
      }
      const [a, b] = times.map(quartile) as [number, number];
      const kernels = p.kernels === undefined ? '' : `${p.kernels}/${q.kernels}`;
      console.log(
        `${c.name.padEnd(13)} ${p.label.padEnd(11)} ${a.toFixed(2).padStart(9)} ${b.toFixed(2).padStart(9)} ${(b / a).toFixed(2).padStart(7)}  ${kernels}`,
      );
    });
  }
}

main();
