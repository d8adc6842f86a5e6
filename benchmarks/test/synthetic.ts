/** @file Synthetic results files for tests of the gate and the chart (no timing involved). */
import type { Measurement } from '../src/measure.ts';
import { QUICK_BUDGET } from '../src/measure.ts';
import { RESULTS_FORMAT, type BenchResults } from '../src/results.ts';
import { median } from '../src/stats.ts';
import type { Mode } from '../src/workloads/index.ts';

/** Deterministic samples around `ms` with about ±3% jitter. */
export function samplesAround(ms: number, count = 30, seed = 1): number[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from({ length: count }, () => ms * (0.97 + 0.06 * next())).sort((a, b) => a - b);
}

export function measurement(workload: string, mode: Mode, ms: number, calibrationMs = 1, seed = 1): Measurement {
  const samples = samplesAround(ms, 30, seed);
  const medianMs = median(samples);
  return {
    workload,
    mode,
    medianMs,
    p25Ms: samples[7]!,
    p75Ms: samples[22]!,
    minMs: samples[0]!,
    madMs: ms * 0.015,
    count: samples.length,
    samples,
    cpuP25Ms: samples[7]!,
    cpuSamples: samples,
    calibrationMs,
    firstCallMs: ms * 10,
    peakMemoryBytes: 1e6,
  };
}

export const WORKLOAD_TIMES: Record<string, Partial<Record<Mode, number>>> = {
  'matmul-256': { eager: 16, interpreter: 16, wasm: 0.9, 'tfjs-wasm': 1.1 },
  gelu: { eager: 45, interpreter: 50, wasm: 4.9, 'tfjs-wasm': 23 },
  'add-chain': { eager: 0.23, interpreter: 0.21, wasm: 0.007, 'tfjs-wasm': 2.9 },
};

/**
 * A results file with the workloads above; `slower` multiplies one workload's times; `twoThreads`
 * adds a `wasm-2t` row per workload at 0.6 times its `wasm` time.
 */
export function syntheticResults(
  options: { calibrationMs?: number; slower?: Record<string, number>; seed?: number; twoThreads?: boolean } = {},
): BenchResults {
  const modes: Mode[] = [
    'eager',
    'interpreter',
    'wasm',
    ...(options.twoThreads ? ['wasm-2t' as const] : []),
    'tfjs-wasm',
    'tfjs-cpu',
  ];
  const timesOf = (times: Partial<Record<Mode, number>>): [Mode, number][] => [
    ...(Object.entries(times) as [Mode, number][]),
    ...(options.twoThreads ? [['wasm-2t', 0.6 * times.wasm!] as [Mode, number]] : []),
  ];
  const measurements = Object.entries(WORKLOAD_TIMES).flatMap(([id, times]) =>
    timesOf(times).map(([mode, ms]) =>
      measurement(
        id,
        mode,
        ms * (options.slower?.[id] ?? 1) * (options.calibrationMs ?? 1),
        options.calibrationMs ?? 1,
        options.seed ?? 1,
      ),
    ),
  );
  return {
    format: RESULTS_FORMAT,
    date: '2026-01-01T00:00:00.000Z',
    suite: 'quick',
    machine: {
      os: 'linux',
      arch: 'x64',
      cpu: 'Test CPU',
      cores: 2,
      memoryBytes: 1e9,
      node: 'v20',
      v8: '11',
      loadAverage: [0, 0, 0],
      gitCommit: 'abc123',
    },
    budget: QUICK_BUDGET,
    workloads: Object.keys(WORKLOAD_TIMES).map((id) => ({ id, title: `${id} <&> title` })),
    modes,
    threads: options.twoThreads ? [1, 2] : [1],
    measurements,
    skipped: Object.keys(WORKLOAD_TIMES).map((id) => ({
      workload: id,
      mode: 'tfjs-cpu' as Mode,
      reason: 'not in this test',
    })),
    calibrationMs: options.calibrationMs ?? 1,
    durationMs: 1,
  };
}
