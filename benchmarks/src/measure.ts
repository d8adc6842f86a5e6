/**
 * @file Measuring one workload in one mode: set it up (timing the first call), make a few
 * untimed calls, then let tinybench time it (wall clock, plus process CPU time per call), with
 * the calibration kernel timed just before and just after so the result can be normalized by how
 * fast the machine was then. (Memory is
 * measured separately, in a process of its own: memory.ts.)
 */
import { Bench } from 'tinybench';
import { calibrationKernel } from './calibration.ts';
import { collectGarbage } from './gc.ts';
import { createRunner } from './runners.ts';
import { mad, median, quantile } from './stats.ts';
import { threadsOf, type Mode, type Workload } from './workloads/index.ts';

/** How long to measure each workload and mode. */
export interface Budget {
  /** tinybench's time budget per task, ms. */
  readonly timeMs: number;
  /** At least this many timed calls, however long they take. */
  readonly minSamples: number;
  readonly warmupMs: number;
  readonly warmupSamples: number;
  /** Untimed calls after the first, before tinybench's own warm-up. */
  readonly untimedCalls: number;
  /** Time budget of each calibration burst, ms. */
  readonly calibrationMs: number;
}

export const FULL_BUDGET: Budget = {
  timeMs: 1000,
  minSamples: 5,
  warmupMs: 100,
  warmupSamples: 1,
  untimedCalls: 2,
  calibrationMs: 60,
};
export const QUICK_BUDGET: Budget = {
  timeMs: 200,
  minSamples: 3,
  warmupMs: 0,
  warmupSamples: 0,
  untimedCalls: 0,
  calibrationMs: 30,
};

/** Samples kept in the results file: evenly spaced order statistics of all of them. */
const KEPT_SAMPLES = 200;

export interface Measurement {
  readonly workload: string;
  readonly mode: Mode;
  /** Kiln's thread count (Wasm modes only; also in the mode's name). */
  readonly threads?: number;
  readonly medianMs: number;
  readonly p25Ms: number;
  readonly p75Ms: number;
  readonly minMs: number;
  /** Median absolute deviation, ms. */
  readonly madMs: number;
  /** How many timed calls there were. */
  readonly count: number;
  /** Sorted wall-clock timings in ms (thinned to at most 200 order statistics). */
  readonly samples: readonly number[];
  /** First quartile of the process CPU time per call, ms: what the gate compares. */
  readonly cpuP25Ms: number;
  /** Sorted CPU times per call in ms (thinned like `samples`). */
  readonly cpuSamples: readonly number[];
  /** CPU time of the calibration kernel around this measurement, ms (see calibrate). */
  readonly calibrationMs: number;
  /** First call of a fresh program: for traced modes trace + passes + compile + one run. */
  readonly firstCallMs: number;
  /** Peak memory growth (see memory.ts); absent when memory was not measured. */
  peakMemoryBytes?: number;
  /** Compiled-function figures (traced modes): kernels, wasmBytes, frameBytes. */
  readonly backendStats?: Readonly<Record<string, number>>;
  /** The artificial slowdown applied (--inject-delay), as a fraction. */
  readonly injectedDelay?: number;
}

export interface Samples {
  /** Wall-clock time of each call, ms, sorted (tinybench's latency samples). */
  readonly wall: number[];
  /** Process CPU time (user + system) of each call, ms, sorted. */
  readonly cpu: number[];
}

const cpuNow = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * Times calls of `fn` with tinybench within `budget`. Around each call (in tinybench's
 * per-iteration hooks, outside its timed window) the process CPU time is read too: time stolen
 * by other processes on a shared machine inflates wall time but not CPU time, so the gate
 * compares CPU time while the table shows wall time.
 */
export function sampleCalls(
  fn: () => void,
  budget: Pick<Budget, 'timeMs' | 'minSamples' | 'warmupMs' | 'warmupSamples'>,
): Samples {
  const bench = new Bench({
    time: budget.timeMs,
    iterations: budget.minSamples,
    warmup: budget.warmupSamples > 0,
    warmupTime: budget.warmupMs,
    warmupIterations: budget.warmupSamples,
    retainSamples: true,
    throws: true,
  });
  const cpu: number[] = [];
  let start = 0;
  bench.add('task', fn, {
    beforeAll: (mode) => {
      if (mode === 'run') cpu.length = 0;
    },
    beforeEach: () => {
      start = cpuNow();
    },
    afterEach: () => {
      cpu.push(cpuNow() - start);
    },
  });
  const [task] = bench.runSync();
  const result = task!.result;
  if (result.state !== 'completed') throw new Error(`tinybench task ended ${result.state}`);
  return { wall: [...result.latency.samples!], cpu: cpu.sort((a, b) => a - b) };
}

/**
 * CPU time of the calibration kernel now, ms: the 10th percentile of a burst, since on a shared
 * virtual machine even CPU time inflates while a neighbour is busy, and never deflates. A full GC
 * first: the process CPU time counts V8's background threads too, and without it they would
 * still be cleaning up after the workload measured just before.
 */
export function calibrate(budget: Budget): number {
  collectGarbage();
  return quantile(
    sampleCalls(calibrationKernel, { timeMs: budget.calibrationMs, minSamples: 10, warmupMs: 5, warmupSamples: 2 }).cpu,
    0.1,
  );
}

/** Wraps `fn` so each call takes (1 + fraction) times as long, by spinning after it. */
export function withDelay(fn: () => void, fraction: number): () => void {
  return () => {
    const start = performance.now();
    fn();
    const until = start + (performance.now() - start) * (1 + fraction);
    while (performance.now() < until) {
      /* spin: a sleep would let the scheduler hide the delay */
    }
  };
}

function thin(sorted: readonly number[], keep: number): number[] {
  if (sorted.length <= keep) return [...sorted];
  return Array.from({ length: keep }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (keep - 1))]!);
}

export interface MeasureOptions {
  readonly budget: Budget;
  /** Artificial slowdown as a fraction (0.3 = 30% slower), for testing the gate. */
  readonly delay?: number;
}

/** Sets `workload` up in `mode`, times it, and tears it down. */
export async function measure(workload: Workload, mode: Mode, { budget, delay }: MeasureOptions): Promise<Measurement> {
  const runner = await createRunner(workload, mode);
  try {
    for (let i = 0; i < budget.untimedCalls; i++) runner.call();
    const call = delay ? withDelay(runner.call, delay) : runner.call;
    const calibrationBefore = calibrate(budget);
    const { wall, cpu } = sampleCalls(call, budget);
    const calibrationMs = (calibrationBefore + calibrate(budget)) / 2;
    const threads = threadsOf(mode);
    return {
      workload: workload.id,
      mode,
      ...(threads !== null ? { threads } : {}),
      medianMs: median(wall),
      p25Ms: quantile(wall, 0.25),
      p75Ms: quantile(wall, 0.75),
      minMs: wall[0]!,
      madMs: mad(wall),
      count: wall.length,
      samples: thin(wall, KEPT_SAMPLES),
      cpuP25Ms: quantile(cpu, 0.25),
      cpuSamples: thin(cpu, KEPT_SAMPLES),
      calibrationMs,
      firstCallMs: runner.firstCallMs,
      ...(runner.stats ? { backendStats: runner.stats } : {}),
      ...(delay ? { injectedDelay: delay } : {}),
    };
  } finally {
    runner.dispose();
  }
}
