/**
 * @file The results table: one row per workload and mode with the median, the spread, the
 * speed-up over eager and over the peer, the first call's time and the peak memory; a Wasm row on
 * more than one thread notes its speed-up over the one-thread row.
 */
import { formatBytes, formatMs, formatSpeedup } from './format.ts';
import { findMeasurement, type BenchResults } from './results.ts';
import type { Measurement } from './measure.ts';
import { threadsOf, type Mode } from './workloads/index.ts';

/** The peer whose column the table shows. */
export const PEER: Mode = 'tfjs-wasm';

const HEADER = ['workload', 'mode', 'median', 'spread', 'vs eager', `vs ${PEER}`, 'first call', 'peak mem', 'note'];
/** Columns aligned left; the rest align right. */
const LEFT = new Set([0, 1, 8]);

function note(m: Measurement, flops: number | undefined, oneThread: Measurement | undefined): string {
  const parts: string[] = [];
  const threads = threadsOf(m.mode);
  if (threads !== null && threads > 1 && oneThread)
    parts.push(`${formatSpeedup(oneThread.medianMs / m.medianMs)} vs 1 thread`);
  if (flops) parts.push(`${(flops / (m.medianMs * 1e6)).toFixed(flops / (m.medianMs * 1e6) < 10 ? 2 : 1)} GFLOP/s`);
  const kernels = m.backendStats?.['kernels'];
  if (threads !== null && kernels !== undefined) parts.push(`${kernels} kernel${kernels === 1 ? '' : 's'}`);
  const frame = m.backendStats?.['frameBytes'];
  if (threads !== null && frame !== undefined) parts.push(`frame ${formatBytes(frame)}`);
  if (m.injectedDelay) parts.push(`injected +${Math.round(m.injectedDelay * 100)}%`);
  return parts.join(', ');
}

/** Table cells, one array per row. */
export function tableRows(results: BenchResults): string[][] {
  const rows: string[][] = [];
  for (const w of results.workloads) {
    const eager = findMeasurement(results, w.id, 'eager');
    const peer = findMeasurement(results, w.id, PEER);
    const oneThread = findMeasurement(results, w.id, 'wasm');
    const groupStart = rows.length;
    for (const mode of results.modes) {
      const name = rows.length === groupStart ? w.id : '';
      const m = findMeasurement(results, w.id, mode);
      if (!m) {
        const skip = results.skipped.find((s) => s.workload === w.id && s.mode === mode);
        if (skip) rows.push([name, mode, '—', '', '', '', '', '', skip.reason]);
        continue;
      }
      rows.push([
        name,
        mode,
        formatMs(m.medianMs),
        `±${((100 * m.madMs) / m.medianMs).toFixed(1)}%`,
        eager ? formatSpeedup(eager.medianMs / m.medianMs) : '',
        peer ? formatSpeedup(peer.medianMs / m.medianMs) : '',
        formatMs(m.firstCallMs),
        m.peakMemoryBytes === undefined ? '' : formatBytes(m.peakMemoryBytes),
        note(m, w.flops, oneThread),
      ]);
    }
  }
  return rows;
}

function alignedLines(rows: string[][]): string[] {
  const widths = HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (LEFT.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

/** The whole printed table: a heading with the machine, the rows, and a key to the workloads. */
export function formatTable(results: BenchResults): string {
  const m = results.machine;
  const peers = [m.tfjs && `tfjs ${m.tfjs}`, m.jaxJs && `jax-js ${m.jaxJs}`].filter(Boolean).join(', ');
  const heading = [
    `Kiln benchmarks (${results.suite} suite), ${results.date.slice(0, 16).replace('T', ' ')} UTC, ` +
      `${m.cpu}, ${m.cores} cores, node ${m.node}${m.gitCommit ? `, commit ${m.gitCommit}` : ''}` +
      (peers ? `, peers: ${peers}` : ''),
    `median of timed calls; spread = median absolute deviation; vs eager / vs ${PEER} = times faster than that mode; ` +
      'first call = trace + compile + run for traced modes; peak mem = growth of V8 heap + external memory (incl. Wasm memories)',
    '',
  ];
  const idWidth = Math.max(12, ...results.workloads.map((w) => w.id.length));
  const key = [
    '',
    ...results.workloads.map((w) => `${w.id.padEnd(idWidth)} ${w.title}${w.peerNote ? ` (${w.peerNote})` : ''}`),
  ];
  return [...heading, ...alignedLines(tableRows(results)), ...key].join('\n');
}
