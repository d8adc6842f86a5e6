/**
 * @file The regression gate. It compares CPU time per call, not wall time: time the scheduler
 * gives to other processes inflates wall time by anything up to several times on a shared
 * machine, CPU time hardly. Each Kiln measurement's first quartile of CPU time is divided by
 * the run's calibration (the calibration kernel's CPU time, median over the run), and that ratio
 * is compared with the baseline's. A workload slower by more than the threshold is only a
 * suspect: it is measured again (fresh setup) up to `retries` times, and fails the gate only if
 * every measurement stays over the threshold and a bootstrap of the same statistic (first quartile
 * of the pooled normalized samples over the baseline's) is confident that it is past the
 * threshold. Noise rarely survives all of that; a real slowdown does. Peers are shown but never gated.
 * Rows are matched by workload and mode, and each Wasm thread count is a mode of its own, so a
 * row only one side has (a thread count the other run did not measure) is listed, not judged.
 */
import type { Measurement } from './measure.ts';
import { findMeasurement, type BenchResults } from './results.ts';
import { bootstrapQuantileRatioAbove } from './stats.ts';
import { isKilnMode, type Mode } from './workloads/index.ts';

export interface GateOptions {
  /** Slowdown, in percent of the baseline, that makes a workload a suspect. */
  readonly thresholdPercent: number;
  /** Re-measurements of a suspect. */
  readonly retries: number;
  /** Confidence needed to call a confirmed suspect a regression. */
  readonly minConfidence: number;
  remeasure(workload: string, mode: Mode): Promise<Measurement>;
  onProgress?(label: string): void;
}

export const DEFAULT_GATE = { thresholdPercent: 15, retries: 3, minConfidence: 0.99 } as const;

export type VerdictStatus = 'ok' | 'faster' | 'noise' | 'unconfirmed' | 'regression';

export interface Verdict {
  readonly workload: string;
  readonly mode: Mode;
  /** Normalized current / normalized baseline, one per measurement (the first, then re-measures). */
  readonly ratios: readonly number[];
  /** Measurements over the threshold. */
  readonly confirmations: number;
  /** Bootstrap confidence that the first-quartile ratio is over the threshold (confirmed suspects only). */
  readonly confidence: number | null;
  readonly status: VerdictStatus;
}

export interface GateReport {
  readonly baseline: {
    readonly file: string;
    readonly date: string;
    readonly commit: string | null;
    readonly cpu: string;
  };
  readonly sameMachine: boolean;
  readonly thresholdPercent: number;
  readonly retries: number;
  readonly verdicts: readonly Verdict[];
  /** "workload · mode" of each regression. */
  readonly regressions: readonly string[];
  /** Kiln measurements of the baseline that this run did not make. */
  readonly missing: readonly string[];
  /** Kiln measurements of this run that the baseline lacks (e.g. a new thread count): not compared. */
  readonly added?: readonly string[];
  readonly passed: boolean;
}

const label = (workload: string, mode: Mode) => `${workload} · ${mode}`;

/** A measurement's CPU times in units of its run's calibration. */
interface Normalized {
  readonly value: number;
  readonly samples: readonly number[];
}
const normalize = (m: Measurement, calibrationMs: number): Normalized => ({
  value: m.cpuP25Ms / calibrationMs,
  samples: m.cpuSamples.map((s) => s / calibrationMs),
});

/** Compares `current` with `baseline`, re-measuring suspects; `current` is not modified. */
export async function compareWithBaseline(
  current: BenchResults,
  baseline: BenchResults,
  file: string,
  options: GateOptions,
): Promise<GateReport> {
  const limit = 1 + options.thresholdPercent / 100;
  const verdicts: Verdict[] = [];
  const added: string[] = [];
  for (const m of current.measurements.filter((x) => isKilnMode(x.mode))) {
    const base = findMeasurement(baseline, m.workload, m.mode);
    if (!base) added.push(label(m.workload, m.mode));
    else
      verdicts.push(
        await judge(
          m,
          normalize(base, baseline.calibrationMs),
          (x) => normalize(x, current.calibrationMs),
          limit,
          options,
        ),
      );
  }
  const missing = baseline.measurements
    .filter((b) => isKilnMode(b.mode) && !findMeasurement(current, b.workload, b.mode))
    .map((b) => label(b.workload, b.mode));
  const regressions = verdicts.filter((v) => v.status === 'regression').map((v) => label(v.workload, v.mode));
  return {
    baseline: { file, date: baseline.date, commit: baseline.machine.gitCommit, cpu: baseline.machine.cpu },
    sameMachine: baseline.machine.cpu === current.machine.cpu && baseline.machine.cores === current.machine.cores,
    thresholdPercent: options.thresholdPercent,
    retries: options.retries,
    verdicts,
    regressions,
    missing,
    added,
    passed: regressions.length === 0,
  };
}

async function judge(
  first: Measurement,
  base: Normalized,
  normalized: (m: Measurement) => Normalized,
  limit: number,
  options: GateOptions,
): Promise<Verdict> {
  const ratioOf = (m: Measurement) => normalized(m).value / base.value;
  const attempts = [first];
  const verdict = (status: VerdictStatus, confidence: number | null = null): Verdict => ({
    workload: first.workload,
    mode: first.mode,
    ratios: attempts.map(ratioOf),
    confirmations: attempts.filter((m) => ratioOf(m) > limit).length,
    confidence,
    status,
  });
  const r0 = ratioOf(first);
  if (r0 <= limit) return verdict(r0 < 1 / limit ? 'faster' : 'ok');
  for (let i = 0; i < options.retries; i++) {
    options.onProgress?.(`re-measuring ${label(first.workload, first.mode)} (${i + 1}/${options.retries})`);
    const again = await options.remeasure(first.workload, first.mode);
    attempts.push(again);
    if (ratioOf(again) <= limit) return verdict('noise');
  }
  // Is the statistic we gate on past the threshold, or could resampling the noise explain it?
  const current = attempts.flatMap((m) => normalized(m).samples);
  const confidence = bootstrapQuantileRatioAbove(current, base.samples, limit);
  return verdict(confidence >= options.minConfidence ? 'regression' : 'unconfirmed', confidence);
}

const times = (r: number) => `${r.toFixed(2)}×`;
const percent = (x: number) => (x > 0.999 ? '> 99.9%' : `${(100 * x).toFixed(1)}%`);

/** The gate's report as lines for the terminal. */
export function formatGateReport(report: GateReport): string[] {
  const { baseline } = report;
  const lines = [
    `Compared with ${baseline.file} (${baseline.date}${baseline.commit ? `, commit ${baseline.commit}` : ''}): ` +
      `threshold ${report.thresholdPercent}% after normalizing by the calibration kernel, up to ${report.retries} re-measurements of a suspect.`,
  ];
  if (!report.sameMachine)
    lines.push(
      `  note: the baseline was measured on another machine (${baseline.cpu}); normalization only partly corrects for that.`,
    );
  for (const v of report.verdicts) {
    const name = label(v.workload, v.mode);
    const measured = v.ratios.map(times).join(', ');
    if (v.status === 'regression') {
      lines.push(
        `  REGRESSION   ${name}: ${times(Math.min(...v.ratios))} the baseline's time at best (measurements: ${measured}), ` +
          `${v.confirmations} of ${v.ratios.length} over the threshold, confidence ${percent(v.confidence!)}`,
      );
    } else if (v.status === 'unconfirmed') {
      lines.push(
        `  suspect      ${name}: slower in every measurement (${measured}) but only ${percent(v.confidence!)} confident; not failing`,
      );
    } else if (v.status === 'noise') {
      lines.push(`  noise        ${name}: ${measured}; cleared on re-measurement`);
    } else if (v.status === 'faster') {
      lines.push(`  faster       ${name}: ${measured}`);
    }
  }
  for (const m of report.missing) lines.push(`  not measured ${m} (in the baseline only)`);
  for (const m of report.added ?? []) lines.push(`  new          ${m} (not in the baseline: not compared)`);
  const counts = (s: VerdictStatus) => report.verdicts.filter((v) => v.status === s).length;
  lines.push(
    `${report.passed ? 'PASS' : 'FAIL'}: ${report.verdicts.length} compared, ${counts('ok')} within ${report.thresholdPercent}%, ` +
      `${counts('faster')} faster, ${counts('noise')} cleared as noise, ${counts('unconfirmed')} unconfirmed, ` +
      `${report.regressions.length} regressed${report.regressions.length ? `: ${report.regressions.join(', ')}` : ''}`,
  );
  return lines;
}
