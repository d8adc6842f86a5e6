/**
 * Multi-threaded kernels. With KILN_PARALLEL_MIN_WORK=0 every kernel that can be split is, even
 * in the catalogue's small programs, so the whole catalogue runs split on 2 threads: values,
 * gradients and variables after every step equal eager's, and are bit-identical to 1 thread's
 * and to a repeat at 2 threads (a split never divides one output's sum).
 */
import { describe, expect, it } from '@jest/globals';
import { splitEveryKernel } from './threads/split-every-kernel.ts';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as k from '../src/index.ts';
import { PROGRAMS, type Program } from '../../tracer/test/support/programs.ts';
import { expectTreeClose, type Tolerance } from '../../tracer/test/support/compare.ts';

const WASM: Tolerance = { rtol: 2e-4, atol: 2e-5 };
splitEveryKernel();

interface Outcome {
  outputs: unknown[];
  variables: k.Tensor[];
  /** Most threads any kernel used. */
  widest: number;
}

function run(program: Program, threads: number | null): Outcome {
  const setup = program.setup();
  if (threads !== null) k.setNumThreads(threads);
  const fn = threads === null ? setup.fn : k.trace(setup.fn, { name: 'program', backend: 'wasm' });
  const outputs: unknown[] = [];
  for (let s = 0; s < (setup.steps ?? 1); s++) outputs.push((fn as (...a: unknown[]) => unknown)(...setup.args));
  const kernels = threads === null ? [] : (fn as unknown as k.Traced<typeof fn>).inspect(...setup.args).kernels;
  return {
    outputs,
    variables: (setup.variables ?? []).map((v) => v.value),
    widest: Math.max(1, ...kernels.map((x) => x.threads)),
  };
}

/** Every number of every tensor in a result tree, exactly. */
function bits(tree: unknown): number[][] {
  if (tree instanceof k.Tensor) return [Array.from(tree.dataSync())];
  if (Array.isArray(tree)) return tree.flatMap(bits);
  if (tree && typeof tree === 'object') return Object.values(tree).flatMap(bits);
  return [];
}

describe('the catalogue with every splittable kernel split', () => {
  const split: string[] = [];
  it.each(PROGRAMS.map((p) => [p.name, p] as const))('%s', (name, program) => {
    const eager = run(program, null);
    const one = run(program, 1);
    const two = run(program, 2);
    const again = run(program, 2);
    expectTreeClose(two.outputs, eager.outputs, WASM, 'outputs');
    expectTreeClose(two.variables, eager.variables, WASM, 'variables');
    expect(bits([two.outputs, two.variables])).toEqual(bits([one.outputs, one.variables]));
    expect(bits([again.outputs, again.variables])).toEqual(bits([two.outputs, two.variables]));
    expect(one.widest).toBe(1);
    if (two.widest === 2) split.push(name);
  });
  // The rest are too small to split at all (a [2,3] elementwise op has no second chunk).
  it('split kernels in over a third of the programs (so the test above ran threaded code)', () => {
    expect(split.length).toBeGreaterThan(PROGRAMS.length / 3);
  });
});

describe('the per-kernel thread report', () => {
  const step = (x: k.Tensor, w: k.Tensor, b: k.Tensor) => k.softmax(k.relu(k.add(k.matmul(x, w), b)), -1);
  const args = () => [k.randomNormal([64, 48], { seed: 1 }), k.randomNormal([48, 32], { seed: 2 }), k.zeros([32])];

  it('says 2 threads for split kernels with 2 threads, and 1 with 1', () => {
    const f = k.trace(step);
    const [x, w, b] = args();
    k.setNumThreads(2);
    const two = f.inspect(x, w, b).kernels;
    expect(two.length).toBeGreaterThan(0);
    expect(two.every((kernel) => kernel.threads === 2)).toBe(true);
    k.setNumThreads(1);
    expect(f.inspect(x, w, b).kernels.map((kernel) => kernel.threads)).toEqual(two.map(() => 1));
  });

  it('runs a kernel that calls JavaScript (pow) on the calling thread only', () => {
    k.setNumThreads(2);
    const f = k.trace((x: k.Tensor, y: k.Tensor) => k.pow(k.abs(x), y));
    const x = k.randomNormal([256], { seed: 3 });
    const y = k.randomNormal([256], { seed: 4 });
    expectTreeClose(f(x, y), k.pow(k.abs(x), y), WASM, 'pow');
    expect(f.inspect(x, y).kernels.map((kernel) => kernel.threads)).toEqual([1]);
  });
});

describe('failures in threaded calls', () => {
  it('an index out of range throws the clear error, and the next call is right', () => {
    k.setNumThreads(2);
    const table = k.randomNormal([3, 256], { seed: 5 });
    const f = k.trace((i: k.Tensor) => k.mul(k.exp(k.gather(table, i, 0)), 2));
    const good = k.tensor([2, 0, 1, 1], undefined, 'i32');
    expect(f.inspect(good).kernels.some((kernel) => kernel.threads === 2)).toBe(true);
    expect(() => f(k.tensor([1, 7, 0, 0], undefined, 'i32'))).toThrow(/gather: index 7 is out of range \[0, 3\)/);
    for (let i = 0; i < 3; i++) expectTreeClose(f(good), k.mul(k.exp(k.gather(table, good, 0)), 2), WASM, 'after');
  });
});

describe('settings', () => {
  it('setNumThreads rejects what is not a thread count, naming the call', () => {
    expect(() => k.setNumThreads(0)).toThrow(/setNumThreads: expected a whole number of threads >= 1, got 0/);
    expect(() => k.setNumThreads(1.5)).toThrow(k.KilnArgumentError);
    k.setNumThreads(2);
    expect(k.getNumThreads()).toBe(2);
  });
});

/** A process that imports Kiln from its sources (through tsx) and runs the fixture. */
function runFixture(env: Record<string, string>): string {
  const script = fileURLToPath(new URL('../../../scripts/run-ts.mjs', import.meta.url));
  const fixture = fileURLToPath(new URL('./threads/one-call.ts', import.meta.url));
  return execFileSync(process.execPath, [script, fixture], {
    env: { ...process.env, KILN_PARALLEL_MIN_WORK: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('a process with threads', () => {
  it.each([
    ['1', 1],
    ['2', 2],
  ])('KILN_THREADS=%s: the report says %i thread(s) for the split kernels; the process exits on its own', (env, n) => {
    const report = JSON.parse(runFixture({ KILN_THREADS: env })) as {
      threads: number;
      kernels: { op: string; threads: number }[];
      workersStarted: number;
      agrees: boolean;
    };
    expect(report.threads).toBe(n);
    expect(report.agrees).toBe(true);
    expect(report.kernels.map((x) => x.threads)).toEqual(report.kernels.map(() => n));
    expect(report.workersStarted).toBe(n - 1);
  });

  it('KILN_THREADS that is not a count is a clear error', () => {
    expect(() => runFixture({ KILN_THREADS: 'many' })).toThrow(
      /KILN_THREADS must be a whole number of threads >= 1, got 'many'/,
    );
  });
});
