/**
 * @file Measures the Wasm SIMD matmul kernel in GFLOP/s (2·m·n·k / seconds), single-threaded.
 *
 *   node --import tsx packages/codegen-wasm/scripts/matmul-speed.ts [--fma] [--no-optimize] [--runs N]
 *     [--blocking mr=4,nr=8,kc=256,mc=128,nc=1024,unroll=1] [--shapes 1024x1024x1024,...]
 *
 * Shapes are m x k x n (an MLP layer 128x784x512 multiplies [128,784] by [784,512]); a `tA` or `tB`
 * suffix stores that operand transposed. Each shape is compiled with binaryen -O3, instantiated
 * once, warmed up, then timed; the median run is reported because the machine is shared, and the
 * best run as the uncontended speed. --fma turns on V8's relaxed-SIMD flag at run time.
 */
import { setFlagsFromString } from 'node:v8';
import { loadBinaryen, type Binaryen } from '../src/binaryen.ts';
import {
  addMatmulFunction,
  matmulScratchBytes,
  type MatmulBlocking,
  type MatmulOptions,
  type MatmulSpec,
} from '../src/kernels/matmul.ts';

const DEFAULT_SHAPES = [
  '1024x1024x1024',
  '512x512x512',
  '256x256x256',
  '128x784x512',
  '784x128x512tA', // dB = Aᵀ·G: A [128,784], G [128,512]
  '128x512x784tB', // dA = G·Bᵀ: G [128,512], B [784,512]
];

interface Args {
  fma: boolean;
  optimize: boolean;
  runs: number;
  blocking: Partial<MatmulBlocking>;
  shapes: string[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { fma: false, optimize: true, runs: 9, blocking: {}, shapes: DEFAULT_SHAPES };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--fma') args.fma = true;
    else if (flag === '--no-optimize') args.optimize = false;
    else if (flag === '--runs') args.runs = Number(argv[++i]);
    else if (flag === '--shapes') args.shapes = argv[++i]!.split(',');
    else if (flag === '--blocking') args.blocking = parseBlocking(argv[++i]!);
    else throw new Error(`unknown flag ${flag}`);
  }
  return args;
}

function parseBlocking(text: string): Partial<MatmulBlocking> {
  return Object.fromEntries(
    text.split(',').map((kv) => {
      const [key, value] = kv.split('=');
      return [key!, Number(value)];
    }),
  );
}

/** `784x128x512tA` -> m=784, k=128, n=512, transA. */
function parseShape(text: string): MatmulSpec {
  const match = /^(\d+)x(\d+)x(\d+)(tA)?(tB)?$/.exec(text);
  if (!match) throw new Error(`bad shape ${text}: expected MxKxN[tA][tB]`);
  const [m, k, n] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  return { m, k, n, transA: match[4] !== undefined, transB: match[5] !== undefined };
}

/** A compiled kernel with its operands laid out in its own memory. */
interface Bench {
  run(): void;
  memory: Float32Array;
  /** Float indices of A, B, C in `memory`. */
  at: { a: number; b: number; c: number };
}

async function compile(
  binaryen: Binaryen,
  spec: MatmulSpec,
  options: MatmulOptions,
  optimize: boolean,
): Promise<Bench> {
  const { m, n, k } = spec;
  const align = (x: number) => Math.ceil(x / 4) * 4;
  const at = { a: 0, b: align(m * k), c: align(m * k) + align(k * n) };
  const scratch = (at.c + align(m * n)) * 4;
  const pages = Math.ceil((scratch + matmulScratchBytes(spec, options)) / 65536) + 1;
  const mod = new binaryen.Module();
  const relaxed = options.fma ? binaryen.Features.RelaxedSIMD : 0;
  mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | relaxed);
  mod.setMemory(pages, pages, 'memory');
  addMatmulFunction(binaryen, mod, 'matmul', spec, options);
  mod.addFunctionExport('matmul', 'matmul');
  if (!mod.validate()) throw new Error(`invalid module for ${JSON.stringify(spec)}`);
  if (optimize) {
    binaryen.setOptimizeLevel(3);
    mod.optimize();
  }
  const { instance } = await WebAssembly.instantiate(mod.emitBinary() as Uint8Array<ArrayBuffer>);
  mod.dispose();
  const matmul = instance.exports.matmul as (a: number, b: number, c: number, s: number) => void;
  const memory = new Float32Array((instance.exports.memory as WebAssembly.Memory).buffer);
  return { run: () => matmul(at.a * 4, at.b * 4, at.c * 4, scratch), memory, at };
}

/** Deterministic inputs in [-1, 1). */
function fillRandom(data: Float32Array, from: number, count: number, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[from + i] = s / 2 ** 31 - 1;
  }
}

/** op(A)[i, p] · op(B)[p, j] summed in double precision. */
function referenceEntry(bench: Bench, spec: MatmulSpec, i: number, j: number): number {
  const { memory: mem, at } = bench;
  let sum = 0;
  for (let p = 0; p < spec.k; p++) {
    const a = mem[at.a + (spec.transA ? p * spec.m + i : i * spec.k + p)]!;
    const b = mem[at.b + (spec.transB ? j * spec.k + p : p * spec.n + j)]!;
    sum += a * b;
  }
  return sum;
}

/** Largest error over 200 sampled outputs, relative to sqrt(k) (inputs are O(1)). */
function sampledError(bench: Bench, spec: MatmulSpec): number {
  let worst = 0;
  for (let t = 0; t < 200; t++) {
    const i = (t * 7919) % spec.m,
      j = (t * 104729) % spec.n;
    const got = bench.memory[bench.at.c + i * spec.n + j]!;
    worst = Math.max(worst, Math.abs(got - referenceEntry(bench, spec, i, j)) / Math.sqrt(Math.max(1, spec.k)));
  }
  return worst;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Seconds of `runs` timed calls after warm-up calls lasting at least ~0.2 s. */
function timeRuns(run: () => void, runs: number): number[] {
  const warmUntil = performance.now() + 200;
  do run();
  while (performance.now() < warmUntil);
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    run();
    times.push((performance.now() - t0) / 1e3);
  }
  return times;
}

/** A naive JS triple loop on the same (untransposed) data, run once: its GFLOP/s and the largest
 *  difference from the kernel's C. */
function naiveBaseline(bench: Bench, spec: MatmulSpec): { gflops: number; maxDiff: number } {
  const { memory: mem, at } = bench;
  const { m, n, k } = spec;
  const out = new Float32Array(m * n);
  const t0 = performance.now();
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += mem[at.a + i * k + p]! * mem[at.b + p * n + j]!;
      out[i * n + j] = sum;
    }
  }
  const gflops = (2 * m * n * k) / ((performance.now() - t0) / 1e3) / 1e9;
  let maxDiff = 0;
  for (let i = 0; i < m * n; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i]! - mem[at.c + i]!));
  return { gflops, maxDiff };
}

/** Times one shape and prints its row (plus the naive baseline for the untransposed 256 cube). */
async function reportShape(binaryen: Binaryen, text: string, args: Args): Promise<void> {
  const spec = parseShape(text);
  const bench = await compile(binaryen, spec, { fma: args.fma, blocking: args.blocking }, args.optimize);
  fillRandom(bench.memory, bench.at.a, spec.m * spec.k, 1);
  fillRandom(bench.memory, bench.at.b, spec.k * spec.n, 2);
  const times = timeRuns(bench.run, args.runs);
  const gflops = (seconds: number) => ((2 * spec.m * spec.n * spec.k) / seconds / 1e9).toFixed(1);
  console.log(
    `${text.padEnd(22)} ${gflops(median(times)).padStart(15)} ${gflops(Math.min(...times)).padStart(8)}` +
      ` ${(median(times) * 1e3).toFixed(2).padStart(17)}   ${sampledError(bench, spec).toExponential(1)}`,
  );
  if (text === '256x256x256') {
    const naive = naiveBaseline(bench, spec);
    console.log(
      `${'  naive JS triple loop'.padEnd(22)} ${naive.gflops.toFixed(1).padStart(15)}` +
        `   (max |naive - kernel| = ${naive.maxDiff.toExponential(1)})`,
    );
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.fma) setFlagsFromString('--experimental-wasm-relaxed-simd');
  const binaryen = await loadBinaryen();
  console.log(
    `matmul kernel: ${args.fma ? 'relaxed FMA' : 'SIMD128 mul+add'}, blocking overrides ` +
      `${JSON.stringify(args.blocking)}${args.optimize ? '' : ', not optimized by binaryen'}`,
  );
  console.log('shape (m x k x n)     GFLOP/s (median)  (best)   ms/run (median)   max err/sqrt(k)');
  for (const text of args.shapes) await reportShape(binaryen, text, args);
}

await main();
