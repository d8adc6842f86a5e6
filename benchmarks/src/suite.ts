/**
 * @file Running the suite: every selected workload in every selected mode, in table order,
 * with progress. A mode a workload cannot run in (no peer version, left out of the quick suite,
 * or an error) is recorded as skipped with the reason, never silently dropped.
 */
import { measure, type Budget, type Measurement } from './measure.ts';
import { memoryProfile } from './memory.ts';
import type { Progress } from './progress.ts';
import type { Skipped } from './results.ts';
import { supports } from './runners.ts';
import { baseMode, isTfjsMode, threadsOf, type Mode, type PeerMode, type Workload } from './workloads/index.ts';

export interface SuiteOptions {
  readonly workloads: readonly Workload[];
  readonly modes: readonly Mode[];
  readonly quick: boolean;
  readonly budget: Budget;
  /** Artificial slowdowns by "workload" or "workload:mode". */
  readonly delays: ReadonlyMap<string, number>;
  /** Also measure peak memory (a child process per workload). */
  readonly memory: boolean;
  readonly progress: Progress;
}

export interface SuiteOutcome {
  readonly measurements: Measurement[];
  readonly skipped: Skipped[];
  readonly calibrationMs: number;
}

/** The injected delay for this workload and mode, if any. */
export function delayFor(delays: ReadonlyMap<string, number>, workload: string, mode: Mode): number | undefined {
  return delays.get(`${workload}:${mode}`) ?? delays.get(workload);
}

/** Why `workload` is not run in `mode`, or null when it is. */
export function skipReason(workload: Workload, mode: Mode, quick: boolean): string | null {
  if (!supports(workload, mode)) return peerSkipReason(workload, mode as PeerMode);
  if (quick && workload.quickSkips?.includes(baseMode(mode))) return 'left out of the quick suite';
  return null;
}

/** The workload's reason for this peer, else the reason it has no peer version at all. */
function peerSkipReason(workload: Workload, mode: PeerMode): string {
  const given = workload.unsupportedPeers?.[mode];
  if (given) return given;
  if (!workload.tfjs && !workload.jax) return workload.peerNote ?? 'no peer version';
  return isTfjsMode(mode) ? 'no TensorFlow.js version' : 'no jax-js version';
}

export async function runSuite(options: SuiteOptions): Promise<SuiteOutcome> {
  const { workloads, modes, quick, budget, delays, progress } = options;
  const measurements: Measurement[] = [];
  const skipped: Skipped[] = [];
  const planned = workloads.map((w) => ({ w, modes: modes.filter((mode) => skipReason(w, mode, quick) === null) }));
  progress.start(planned.reduce((n, p) => n + p.modes.length + (options.memory && p.modes.length ? 1 : 0), 0));
  for (const { w, modes: runnable } of planned) {
    for (const mode of modes.filter((m) => !runnable.includes(m)))
      skipped.push({ workload: w.id, mode, reason: skipReason(w, mode, quick)! });
    const measured: Measurement[] = [];
    for (const mode of runnable) {
      progress.step(`${w.id} · ${mode}`);
      try {
        measured.push(await measure(w, mode, { budget, delay: delayFor(delays, w.id, mode) }));
      } catch (e) {
        progress.log(`${w.id} · ${mode} failed: ${firstLine(e)}`);
        skipped.push({ workload: w.id, mode, reason: `failed: ${firstLine(e)}` });
      }
    }
    if (options.memory && measured.length) {
      progress.step(`${w.id} · memory`);
      try {
        const peaks: Partial<Record<Mode, number>> = {};
        for (const group of memoryGroups(measured.map((m) => m.mode)))
          Object.assign(peaks, await memoryProfile(w.id, group, Math.max(2, w.checkCalls)));
        for (const m of measured) m.peakMemoryBytes = peaks[m.mode];
      } catch (e) {
        progress.log(`${w.id} · memory failed: ${firstLine(e)}`);
      }
    }
    measurements.push(...measured);
  }
  progress.stop();
  return { measurements, skipped, calibrationMs: runCalibration(measurements) };
}

/**
 * Modes that can share one memory probe: the Wasm rows on more threads each get a child of their
 * own, since they share Kiln's Wasm memory with the one-thread row and it only ever grows.
 */
export function memoryGroups(modes: readonly Mode[]): Mode[][] {
  const alone = (m: Mode) => (threadsOf(m) ?? 1) > 1;
  const shared = modes.filter((m) => !alone(m));
  return [...(shared.length ? [shared] : []), ...modes.filter(alone).map((m) => [m])];
}

/**
 * The run's calibration: the fastest of its calibration bursts. Interference only ever slows a
 * burst down, so the fastest one is the machine's own speed (medians drifted by a third between
 * two runs here; minimums by a few percent).
 */
export function runCalibration(measurements: readonly Measurement[]): number {
  return Math.min(...measurements.map((m) => m.calibrationMs));
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}
