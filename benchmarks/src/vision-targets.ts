/**
 * @file The vision issue's targets, measured in one run with the modes interleaved round by round
 * (the machine is shared, so a slow minute hits every mode alike): `cnn-train` traced on Wasm
 * vs tfjs-cpu (and whether tfjs-wasm can train it at all), forward `conv3x3` vs tfjs-wasm
 * (XNNPACK, one thread), and conv3x3's GFLOP/s vs Kiln's own matmul at a similar size (the
 * [25088, 576]·[576, 64] GEMM it lowers to, and 512³).
 * Run: node scripts/run-ts.mjs benchmarks/src/vision-targets.ts [--rounds N]
 */
import { createRunner, type Runner } from './runners.ts';
import { activatePeer } from './peers/tfjs.ts';
import { cnnTrainWorkload, conv3x3GemmWorkload, conv3x3Workload } from './workloads/vision.ts';
import { matmulWorkload } from './workloads/matmul.ts';
import type { Mode, Workload } from './workloads/index.ts';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 5);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

interface Entry {
  label: string;
  workload: Workload;
  mode: Mode;
  calls: number;
  runner?: Runner;
  times: number[];
}

const entries: Entry[] = [
  { label: 'cnn-train wasm', workload: cnnTrainWorkload, mode: 'wasm', calls: 10, times: [] },
  { label: 'cnn-train tfjs-cpu', workload: cnnTrainWorkload, mode: 'tfjs-cpu', calls: 1, times: [] },
  { label: 'conv3x3 wasm', workload: conv3x3Workload, mode: 'wasm', calls: 5, times: [] },
  { label: 'conv3x3 tfjs-wasm', workload: conv3x3Workload, mode: 'tfjs-wasm', calls: 5, times: [] },
  { label: 'conv3x3-gemm wasm', workload: conv3x3GemmWorkload, mode: 'wasm', calls: 5, times: [] },
  { label: 'matmul-512 wasm', workload: matmulWorkload(512), mode: 'wasm', calls: 10, times: [] },
];

// tfjs-wasm and the CNN: try it, and report what the backend says.
let tfjsWasmTrains = 'yes';
try {
  const tf = await activatePeer('tfjs-wasm');
  cnnTrainWorkload.tfjs!(tf).run();
} catch (e) {
  tfjsWasmTrains = `no: ${String((e as Error).message).split('\n')[0]}`;
}

for (const e of entries) e.runner = await createRunner(e.workload, e.mode);
for (let r = 0; r < rounds; r++) {
  for (const e of entries) {
    if (e.mode !== 'wasm') await activatePeer(e.mode as 'tfjs-wasm' | 'tfjs-cpu');
    const t0 = performance.now();
    for (let i = 0; i < e.calls; i++) e.runner!.call();
    e.runner!.result();
    e.times.push((performance.now() - t0) / e.calls);
  }
}
const ms = (label: string): number => median(entries.find((e) => e.label === label)!.times);
const gflops = (label: string): number => {
  const e = entries.find((x) => x.label === label)!;
  return e.workload.flops! / (ms(label) * 1e6);
};
for (const e of entries)
  console.log(`${e.label.padEnd(20)} ${ms(e.label).toFixed(1).padStart(8)} ms  ${gflops(e.label).toFixed(2)} GFLOP/s`);
console.log(`tfjs-wasm trains the CNN: ${tfjsWasmTrains}`);
console.log(
  `cnn-train: Kiln wasm ${(ms('cnn-train tfjs-cpu') / ms('cnn-train wasm')).toFixed(1)}x faster than tfjs-cpu (target >= 10x)`,
);
console.log(
  `conv3x3: Kiln wasm ${(ms('conv3x3 tfjs-wasm') / ms('conv3x3 wasm')).toFixed(2)}x the speed of tfjs-wasm (target > 1)`,
);
console.log(
  `conv3x3 GFLOP/s vs Kiln matmul: ${((100 * gflops('conv3x3 wasm')) / gflops('conv3x3-gemm wasm')).toFixed(0)}% of the same GEMM, ` +
    `${((100 * gflops('conv3x3 wasm')) / gflops('matmul-512 wasm')).toFixed(0)}% of matmul 512 (target >= 70%)`,
);
for (const e of entries) e.runner!.dispose();
