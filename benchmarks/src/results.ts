/**
 * @file The results file: what ran, on which machine, every measurement (with thinned samples),
 * and the comparison with a baseline if one was asked for. A baseline is simply a saved results
 * file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, platform, release, totalmem, arch } from 'node:os';
import { dirname } from 'node:path';
import type { Budget, Measurement } from './measure.ts';
import type { GateReport } from './gate.ts';
import type { Mode } from './workloads/index.ts';

export const RESULTS_FORMAT = 'kiln-bench-results/1';

export interface MachineInfo {
  readonly os: string;
  readonly arch: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly node: string;
  readonly v8: string;
  /** Load average (1, 5, 15 min) when the run started: a hint of how shared the machine was. */
  readonly loadAverage: readonly number[];
  /** Commit of the working tree, with "+dirty" when it has uncommitted changes; null outside git. */
  readonly gitCommit: string | null;
  /** Peer versions, when the run had peer modes. */
  readonly tfjs?: string;
  readonly jaxJs?: string;
}

export interface Skipped {
  readonly workload: string;
  readonly mode: Mode;
  readonly reason: string;
}

export interface BenchResults {
  readonly format: typeof RESULTS_FORMAT;
  readonly date: string;
  readonly suite: 'full' | 'quick';
  readonly machine: MachineInfo;
  readonly budget: Budget;
  readonly workloads: readonly { id: string; title: string; flops?: number; peerNote?: string }[];
  /** In table order; a Wasm mode per thread count (`wasm` is one thread, `wasm-2t` two, ...). */
  readonly modes: readonly Mode[];
  /** Thread counts of the Wasm rows (absent in files from before thread counts: 1). */
  readonly threads?: readonly number[];
  readonly measurements: readonly Measurement[];
  readonly skipped: readonly Skipped[];
  /** The run's calibration: the fastest calibration burst, ms (see runCalibration). */
  readonly calibrationMs: number;
  readonly durationMs: number;
  comparison?: GateReport;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo(peers: { tfjs?: string; jaxJs?: string } = {}): MachineInfo {
  const commit = git(['rev-parse', '--short=12', 'HEAD']);
  const dirty = commit !== null && (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  return {
    os: `${platform()} ${release()}`,
    arch: arch(),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryBytes: totalmem(),
    node: process.version,
    v8: process.versions.v8,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    gitCommit: commit === null ? null : `${commit}${dirty ? '+dirty' : ''}`,
    ...peers,
  };
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 1)}\n`);
}

export function readResults(path: string): BenchResults {
  const data = JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
  if (data.format !== RESULTS_FORMAT)
    throw new Error(`${path} is not a Kiln benchmark results file (format ${JSON.stringify(data.format)})`);
  const incomplete = data.measurements.find((m) => !Array.isArray(m.cpuSamples) || typeof m.cpuP25Ms !== 'number');
  if (incomplete)
    throw new Error(
      `${path}: measurement ${incomplete.workload} · ${incomplete.mode} lacks CPU times; save the baseline again`,
    );
  return data;
}

/** The measurement of `workload` in `mode`, if there is one. */
export function findMeasurement(
  results: Pick<BenchResults, 'measurements'>,
  workload: string,
  mode: Mode,
): Measurement | undefined {
  return results.measurements.find((m) => m.workload === workload && m.mode === mode);
}
