/**
 * @file Measures each simd-math approximation in ns per element, single-threaded.
 *
 *   node scripts/run-ts.mjs packages/codegen-wasm/scripts/simd-math-speed.ts [--runs N] [--only exp,tanh]
 *
 * Each function gets its own module with one loop mapping it over a buffer (load, approximate,
 * store, four lanes at a time), optimized by binaryen -O2 as the code generator does. Every timed
 * run maps 2^20 elements: once over a 2^20-float buffer (4 MiB in, 4 MiB out, as a kernel on a
 * 1M-element tensor sees it) and 64 times over a 2^14-float one that stays in cache, which shows
 * the arithmetic alone. The runs of all functions are interleaved round by round, so a burst of
 * load on this shared machine hits them alike, and the median run is reported. `copy` (the same
 * loop without the math) is the memory floor; the last column is a plain JavaScript loop calling
 * Math on 2^20 floats, for scale.
 */
import { loadBinaryen, type Binaryen } from '../src/binaryen.ts';
import { FunctionBuilder } from '../src/function-builder.ts';
import { simdMath, type SimdMathFn, type SimdMathName } from '../src/simd-math.ts';

/** Every timed run maps this many elements, in one or more passes over its buffer. */
const ELEMENTS = 1 << 20;

/** What each function is timed on: inputs spread evenly over a typical range, and the Math loop. */
const workloads: Record<SimdMathName, { range: [number, number]; math: ((x: number) => number) | null }> = {
  exp: { range: [-30, 10], math: Math.exp },
  expm1: { range: [-5, 5], math: Math.expm1 },
  log: { range: [1e-3, 1e3], math: Math.log },
  log1p: { range: [-0.9, 100], math: Math.log1p },
  tanh: { range: [-5, 5], math: Math.tanh },
  sigmoid: { range: [-10, 10], math: (x) => 1 / (1 + Math.exp(-x)) },
  erf: { range: [-4, 4], math: null },
  sin: { range: [-100, 100], math: Math.sin },
  cos: { range: [-100, 100], math: Math.cos },
};

/** A compiled map kernel over its own memory: input at 0, output after it. */
export interface SpeedKernel {
  /** Maps ELEMENTS elements: the whole buffer, as many times as that takes. */
  run(): void;
  input: Float32Array;
  output: Float32Array;
}

/** A module whose `map()` stores fn(load(k)) at bytes + k for k = 0, 16, ... < bytes. */
export async function compileSpeedKernel(
  binaryen: Binaryen,
  fn: SimdMathFn | null,
  elements = ELEMENTS,
): Promise<SpeedKernel> {
  const bytes = elements * 4;
  const mod = new binaryen.Module();
  mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
  const pages = Math.ceil((2 * bytes) / 65536);
  mod.setMemory(pages, pages, 'memory');
  const b = new FunctionBuilder({ binaryen, mod });
  const offset = b.local(); // the byte offset; simd-math adds its temps after it
  const loaded = mod.v128.load(0, 16, offset.get());
  const step = mod.block(null, [
    mod.v128.store(bytes, 16, offset.get(), fn === null ? loaded : fn(b, loaded)),
    b.increment(offset, 16),
    mod.br('next', mod.i32.lt_u(offset.get(), mod.i32.const(bytes))),
  ]);
  b.finish('map', mod.loop('next', step));
  mod.addFunctionExport('map', 'map');
  if (!mod.validate()) throw new Error('invalid speed module');
  binaryen.setOptimizeLevel(2);
  binaryen.setShrinkLevel(0);
  mod.optimize();
  const { instance } = await WebAssembly.instantiate(mod.emitBinary() as Uint8Array<ArrayBuffer>);
  mod.dispose();
  const buffer = (instance.exports.memory as WebAssembly.Memory).buffer;
  const map = instance.exports.map as () => void;
  const passes = Math.max(1, ELEMENTS / elements);
  return {
    run: () => {
      for (let p = 0; p < passes; p++) map();
    },
    input: new Float32Array(buffer, 0, elements),
    output: new Float32Array(buffer, bytes, elements),
  };
}

/** `n` inputs spread evenly over [lo, hi], in a fixed shuffled order. */
export function spreadInputs([lo, hi]: [number, number], n: number): Float32Array {
  const data = Float32Array.from({ length: n }, (_, k) => lo + ((hi - lo) * k) / (n - 1));
  let s = 12345;
  for (let k = n - 1; k > 0; k--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (k + 1);
    [data[k], data[j]] = [data[j]!, data[k]!];
  }
  return data;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Median ns per element of each named run, timed round-robin: every round runs each once, so
 * they share the machine's moods. Each is warmed up first.
 */
export function timeInterleaved(runs: Record<string, () => void>, rounds: number): Record<string, number> {
  const names = Object.keys(runs);
  for (const name of names) for (let w = 0; w < 5; w++) runs[name]!();
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const t0 = performance.now();
      runs[name]!();
      times[name]!.push(((performance.now() - t0) * 1e6) / ELEMENTS);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(times[n]!)]));
}

/** A JavaScript loop applying `f` to every element, for comparison. */
function mathLoop(f: (x: number) => number, input: Float32Array): () => void {
  const output = new Float32Array(input.length);
  return () => {
    for (let k = 0; k < input.length; k++) output[k] = f(input[k]!);
  };
}

interface Args {
  rounds: number;
  only: SimdMathName[];
}

function parseArgs(argv: string[]): Args {
  const args: Args = { rounds: 41, only: Object.keys(simdMath) as SimdMathName[] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') args.rounds = Number(argv[++i]);
    else if (argv[i] === '--only') args.only = argv[++i]!.split(',') as SimdMathName[];
    else throw new Error(`unknown flag ${argv[i]}`);
  }
  return args;
}

/** The buffer sizes timed: as large as the run, and small enough to stay in L2. */
const BUFFERS = { large: ELEMENTS, cached: 1 << 14 };

async function main(): Promise<void> {
  const { rounds, only } = parseArgs(process.argv.slice(2));
  const binaryen = await loadBinaryen();
  const runs: Record<string, () => void> = {};
  const rows: [name: string, range: string][] = [['copy', '']];
  for (const [buffer, elements] of Object.entries(BUFFERS)) {
    const copy = await compileSpeedKernel(binaryen, null, elements);
    copy.input.set(spreadInputs([-1, 1], elements));
    runs[`copy ${buffer}`] = copy.run;
  }
  for (const name of only) {
    const { range, math } = workloads[name];
    for (const [buffer, elements] of Object.entries(BUFFERS)) {
      const kernel = await compileSpeedKernel(binaryen, simdMath[name], elements);
      kernel.input.set(spreadInputs(range, elements));
      runs[`${name} ${buffer}`] = kernel.run;
    }
    if (math) runs[`${name} Math`] = mathLoop(math, spreadInputs(range, ELEMENTS));
    rows.push([name, `[${range.join(', ')}]`]);
  }
  const ns = timeInterleaved(runs, rounds);
  const cell = (key: string): string => (ns[key] === undefined ? '-' : ns[key]!.toFixed(3)).padStart(12);
  console.log(`ns per element, median of ${rounds} runs of 2^20 elements (ms per 2^20 elements = ns * 1.049)`);
  console.log(
    `${'function'.padEnd(10)}${'inputs'.padEnd(16)}${'2^20 buffer'.padStart(12)}` +
      `${'in cache'.padStart(12)}${'Math loop'.padStart(12)}`,
  );
  for (const [name, range] of rows) {
    console.log(
      `${name.padEnd(10)}${range.padEnd(16)}${cell(`${name} large`)}${cell(`${name} cached`)}${cell(`${name} Math`)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
