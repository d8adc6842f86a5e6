/**
 * @file What `pnpm bench` does: run the suite (or only the correctness check), print the table,
 * write the results JSON, and optionally save a baseline, compare with one, and draw the chart.
 * Returns the exit code: 0, 1 for a regression or a failed check, 2 for a usage error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { renderChart } from './chart.ts';
import { checkWorkload } from './check.ts';
import { compareWithBaseline, DEFAULT_GATE, formatGateReport } from './gate.ts';
import { measure } from './measure.ts';
import { parseOptions, UsageError, USAGE, type CliOptions } from './options.ts';
import { jaxVersion } from './peers/jax.ts';
import { tfjsVersion } from './peers/tfjs.ts';
import { createProgress } from './progress.ts';
import { machineInfo, readResults, RESULTS_FORMAT, writeResults, type BenchResults } from './results.ts';
import { delayFor, runSuite } from './suite.ts';
import { formatTable } from './table.ts';
import { isTfjsMode } from './workloads/index.ts';

export interface Output {
  /** The table and reports. */
  out(text: string): void;
  /** Errors and notes. */
  err(text: string): void;
  /** Where progress goes (null: none). */
  readonly progressStream: NodeJS.WriteStream | null;
}

const consoleOutput: Output = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
  progressStream: process.stderr,
};

export async function main(args: readonly string[], output: Output = consoleOutput): Promise<number> {
  let options: CliOptions;
  try {
    options = parseOptions(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    output.err(`${e.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    output.out(USAGE);
    return 0;
  }
  return options.check ? runCheck(options, output) : runBenchmarks(options, output);
}

async function runCheck(options: CliOptions, output: Output): Promise<number> {
  let failures = 0;
  const width = Math.max(...options.workloads.flatMap((w) => options.modes.map((m) => `${w.id} · ${m}`.length)));
  for (const w of options.workloads) {
    for (const o of await checkWorkload(w, options.modes)) {
      const status = o.skipped ? `skipped (${o.skipped})` : o.mismatch ? `MISMATCH ${o.mismatch}` : 'agrees with eager';
      if (o.mismatch) failures++;
      output.out(`${`${w.id} · ${o.mode}`.padEnd(width)}  ${status}`);
    }
  }
  output.out(failures ? `check FAILED: ${failures} mismatches` : 'check passed: every workload agrees across modes');
  return failures ? 1 : 0;
}

async function runBenchmarks(options: CliOptions, output: Output): Promise<number> {
  const started = performance.now();
  const machine = machineInfo({
    ...(options.modes.some(isTfjsMode) ? { tfjs: await tfjsVersion() } : {}),
    ...(options.modes.includes('jax-js') ? { jaxJs: jaxVersion() } : {}),
  });
  const progress = createProgress(options.quiet ? null : output.progressStream);
  const suite = await runSuite({ ...options, progress });
  const results: BenchResults = {
    format: RESULTS_FORMAT,
    date: new Date().toISOString(),
    suite: options.quick ? 'quick' : 'full',
    machine,
    budget: options.budget,
    workloads: options.workloads.map(({ id, title, flops, peerNote }) => ({
      id,
      title,
      ...(flops ? { flops } : {}),
      ...(peerNote ? { peerNote } : {}),
    })),
    modes: options.modes,
    threads: options.threads,
    measurements: suite.measurements,
    skipped: suite.skipped,
    calibrationMs: suite.calibrationMs,
    durationMs: 0,
  };
  output.out(formatTable(results));
  let exitCode = 0;
  if (options.compare) {
    const workloads = new Map(options.workloads.map((w) => [w.id, w]));
    const remeasureBudget = {
      ...options.budget,
      timeMs: 2 * options.budget.timeMs,
      minSamples: 2 * options.budget.minSamples,
    };
    const gateProgress = createProgress(options.quiet ? null : output.progressStream);
    results.comparison = await compareWithBaseline(results, readResults(options.compare), options.compare, {
      ...DEFAULT_GATE,
      thresholdPercent: options.thresholdPercent,
      retries: options.retries,
      // A suspect gets twice the samples: more of them average over a neighbour's busy spell.
      remeasure: (id, mode) =>
        measure(workloads.get(id)!, mode, { budget: remeasureBudget, delay: delayFor(options.delays, id, mode) }),
      onProgress: (line) => gateProgress.log(line),
    });
    output.out(`\n${formatGateReport(results.comparison).join('\n')}`);
    if (!results.comparison.passed) exitCode = 1;
  }
  const done = { ...results, durationMs: Math.round(performance.now() - started) };
  writeResults(options.out, done);
  output.err(`results: ${options.out} (${(done.durationMs / 1000).toFixed(0)} s)`);
  if (options.save) {
    writeResults(options.save, { ...done, comparison: undefined });
    output.err(`baseline saved: ${options.save}`);
  }
  if (options.chart) {
    mkdirSync(dirname(options.chart), { recursive: true });
    writeFileSync(options.chart, renderChart(done));
    output.err(`chart: ${options.chart}`);
  }
  return exitCode;
}
