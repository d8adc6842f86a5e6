/** @file The command line: parsing `pnpm bench` arguments into typed options, and the usage text. */
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_GATE } from './gate.ts';
import { FULL_BUDGET, QUICK_BUDGET, type Budget } from './measure.ts';
import { defaultThreadCounts, expandThreads } from './threads.ts';
import {
  MODES,
  PEER_MODES,
  WORKLOADS,
  parseMode,
  selectWorkloads,
  type BaseMode,
  type Mode,
  type Workload,
} from './workloads/index.ts';

export const USAGE = `usage: pnpm bench [options]        (pnpm bench:quick = pnpm bench --quick)
  --quick                 shorter budgets, no memory pass, matmul 1024 only in the fast modes (about 2 minutes)
  --only IDS              comma-separated workloads (default all): ${WORKLOADS.map((w) => w.id).join(', ')}
  --modes MODES           comma-separated modes (default all): ${MODES.join(', ')}
  --threads LIST          thread counts of the wasm mode, one row each: wasm (1 thread), wasm-2t, ...
                          (default ${defaultThreadCounts().join(',')}: 1 thread, which older baselines and the single-threaded
                          peers compare with, plus Kiln's default count, KILN_THREADS or the cores, when it differs)
  --no-peers              leave out the peer modes (TensorFlow.js and jax-js)
  --check                 no timing: check that every workload's result agrees across modes (and thread counts)
  --out FILE              results JSON (default benchmarks/results/latest.json)
  --save FILE             also save the results as a baseline
  --compare FILE          compare with a baseline; exit 1 when a workload regressed
  --threshold PCT         slowdown that makes a workload a suspect (default ${DEFAULT_GATE.thresholdPercent})
  --retries N             re-measurements of a suspect (default ${DEFAULT_GATE.retries})
  --chart FILE.svg        draw the results as a bar chart
  --inject-delay W[:MODE]=PCT   make workload W (in MODE, or every mode) PCT% slower; repeatable
  --time MS               time budget per workload and mode (default ${FULL_BUDGET.timeMs}, quick ${QUICK_BUDGET.timeMs})
  --memory / --no-memory  measure peak memory (a child process per workload; default: not with --quick)
  --quiet                 no progress output
  --help`;

export interface CliOptions {
  readonly help: boolean;
  readonly quick: boolean;
  readonly check: boolean;
  readonly quiet: boolean;
  readonly memory: boolean;
  readonly workloads: readonly Workload[];
  /** The modes in table order, `wasm` expanded to one mode per thread count. */
  readonly modes: readonly Mode[];
  /** Thread counts of the Wasm rows. */
  readonly threads: readonly number[];
  readonly budget: Budget;
  readonly out: string;
  readonly save: string | null;
  readonly compare: string | null;
  readonly chart: string | null;
  readonly thresholdPercent: number;
  readonly retries: number;
  /** Fractions keyed by "workload" or "workload:mode". */
  readonly delays: ReadonlyMap<string, number>;
}

export class UsageError extends Error {}

const DEFAULT_OUT = fileURLToPath(new URL('../results/latest.json', import.meta.url));

/** Paths are relative to where the user ran pnpm (pnpm runs scripts from the workspace root). */
function userPath(path: string): string {
  return isAbsolute(path) ? path : resolve(process.env['INIT_CWD'] ?? process.cwd(), path);
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value.replace(/%$/, ''));
  if (!(n >= 0) || !Number.isFinite(n))
    throw new UsageError(`--${name} needs a non-negative number, got ${JSON.stringify(value)}`);
  return n;
}

/** A comma-separated list of whole thread counts >= 1, duplicates dropped. */
function threadCounts(value: string): number[] {
  const counts = list(value).map(Number);
  if (counts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new UsageError(`--threads takes whole numbers >= 1 separated by commas, got ${JSON.stringify(value)}`);
  return [...new Set(counts)];
}

function parseDelays(specs: readonly string[], workloads: readonly Workload[]): Map<string, number> {
  const delays = new Map<string, number>();
  for (const spec of specs) {
    const match = /^([\w-]+)(?::([\w-]+))?=(\d+(?:\.\d+)?)%?$/.exec(spec);
    if (!match) throw new UsageError(`--inject-delay takes WORKLOAD[:MODE]=PERCENT, got ${JSON.stringify(spec)}`);
    const [, id, mode, percent] = match;
    if (!workloads.some((w) => w.id === id)) throw new UsageError(`--inject-delay: ${id} is not a selected workload`);
    if (mode !== undefined && parseMode(mode) === null) throw new UsageError(`--inject-delay: unknown mode ${mode}`);
    delays.set(mode ? `${id}:${mode}` : id!, Number(percent) / 100);
  }
  return delays;
}

export function parseOptions(args: readonly string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        help: { type: 'boolean' },
        quick: { type: 'boolean' },
        check: { type: 'boolean' },
        quiet: { type: 'boolean' },
        'no-peers': { type: 'boolean' },
        memory: { type: 'boolean' },
        'no-memory': { type: 'boolean' },
        only: { type: 'string' },
        modes: { type: 'string' },
        out: { type: 'string' },
        save: { type: 'string' },
        compare: { type: 'string' },
        chart: { type: 'string' },
        threshold: { type: 'string' },
        retries: { type: 'string' },
        time: { type: 'string' },
        threads: { type: 'string' },
        'inject-delay': { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const quick = values.quick ?? false;
  let workloads: Workload[];
  try {
    workloads = selectWorkloads(list(values.only)).filter((w) => !quick || w.quick);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const modes = values.modes ? list(values.modes) : [...MODES];
  const unknown = modes.filter((m) => !(MODES as readonly string[]).includes(m));
  if (unknown.length) throw new UsageError(`unknown mode ${unknown.join(', ')}; modes: ${MODES.join(', ')}`);
  const threads = values.threads === undefined ? defaultThreadCounts() : threadCounts(values.threads);
  const base = quick ? QUICK_BUDGET : FULL_BUDGET;
  return {
    help: values.help ?? false,
    quick,
    check: values.check ?? false,
    quiet: values.quiet ?? false,
    memory: values['no-memory'] ? false : (values.memory ?? !quick),
    workloads,
    modes: expandThreads(
      (modes as BaseMode[]).filter((m) => !(values['no-peers'] && (PEER_MODES as readonly string[]).includes(m))),
      threads,
    ),
    threads,
    budget: { ...base, timeMs: positiveNumber('time', values.time, base.timeMs) },
    out: values.out ? userPath(values.out) : DEFAULT_OUT,
    save: values.save ? userPath(values.save) : null,
    compare: values.compare ? userPath(values.compare) : null,
    chart: values.chart ? userPath(values.chart) : null,
    thresholdPercent: positiveNumber('threshold', values.threshold, DEFAULT_GATE.thresholdPercent),
    retries: Math.floor(positiveNumber('retries', values.retries, DEFAULT_GATE.retries)),
    delays: parseDelays(values['inject-delay'] ?? [], workloads),
  };
}
