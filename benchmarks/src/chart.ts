/**
 * @file The results as an SVG bar chart: one group of horizontal bars per workload, one bar per
 * mode, on a logarithmic time axis (the modes differ by orders of magnitude), with labelled
 * axes, a legend, and each bar's median written at its end.
 */
import { formatMs } from './format.ts';
import { findMeasurement, type BenchResults } from './results.ts';
import { threadsOf, type BaseMode, type Mode } from './workloads/index.ts';

export const MODE_COLORS: Record<BaseMode, string> = {
  eager: '#9aa0a6',
  interpreter: '#e8a33d',
  wasm: '#c2410c',
  'tfjs-wasm': '#1d6fd1',
  'tfjs-cpu': '#8ab8ef',
  'jax-js': '#2e9d5b',
};

/** Wasm rows on more threads get darker shades of the Wasm colour. */
const THREADED_COLORS = ['#9a3412', '#7c2d12', '#431407'];

export function modeColor(mode: Mode): string {
  const threads = threadsOf(mode);
  if (threads === null || threads === 1) return MODE_COLORS[mode as BaseMode];
  // 2-3 threads, 4-7, 8 and more.
  return THREADED_COLORS[Math.min(Math.floor(Math.log2(threads)), THREADED_COLORS.length) - 1]!;
}

const WIDTH = 980;
const LABEL_WIDTH = 150;
const PLOT_LEFT = LABEL_WIDTH + 20;
const PLOT_RIGHT = WIDTH - 80;
const TOP = 120;
const BAR = 13;
const BAR_GAP = 2;
const GROUP_GAP = 16;
const LEGEND_COLUMNS = 7;
const FONT = 'font-family="Helvetica, Arial, sans-serif"';

function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

const text = (x: number, y: number, content: string, attrs = '') =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} ${attrs}>${escapeXml(content)}</text>`;

/** A log10 scale from the decade below the smallest value to the decade above the largest. */
function logScale(values: number[]): { decades: number[]; x: (ms: number) => number } {
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
  const x = (ms: number) => PLOT_LEFT + ((Math.log10(ms) - lo) / (hi - lo)) * (PLOT_RIGHT - PLOT_LEFT);
  return { decades: Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i)), x };
}

/** The chart of `results` as a standalone SVG document. */
export function renderChart(results: BenchResults): string {
  const medians = results.measurements.map((m) => m.medianMs).filter((v) => v > 0);
  const { decades, x } = logScale(medians.length ? medians : [1]);
  const groupHeight = results.modes.length * (BAR + BAR_GAP) - BAR_GAP;
  const plotBottom = TOP + results.workloads.length * (groupHeight + GROUP_GAP) - GROUP_GAP + 8;
  const height = plotBottom + 56;
  const m = results.machine;
  const parts: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(20, 30, 'Kiln benchmarks: median time per call', 'font-size="18" font-weight="bold" fill="#202124"'),
    text(
      20,
      50,
      `${results.suite} suite, ${results.date.slice(0, 10)}, ${m.cpu}, ${m.cores} cores, node ${m.node}` +
        `${m.gitCommit ? `, commit ${m.gitCommit}` : ''}`,
      'font-size="12" fill="#5f6368"',
    ),
  ];
  results.modes.forEach((mode, i) => {
    // Seven entries a line; thread-count rows can make more modes than one line holds.
    const lx = 20 + (i % LEGEND_COLUMNS) * 130;
    const ly = 66 + Math.floor(i / LEGEND_COLUMNS) * 18;
    parts.push(
      `<rect x="${lx}" y="${ly}" width="14" height="14" fill="${modeColor(mode)}"/>`,
      text(lx + 20, ly + 12, mode, 'font-size="12" fill="#202124"'),
    );
  });
  for (const d of decades) {
    parts.push(
      `<line x1="${x(d).toFixed(1)}" y1="${TOP - 8}" x2="${x(d).toFixed(1)}" y2="${plotBottom}" stroke="#dadce0" stroke-width="1"/>`,
    );
    parts.push(text(x(d), plotBottom + 16, formatMs(d), 'font-size="11" fill="#5f6368" text-anchor="middle"'));
  }
  parts.push(
    `<line x1="${PLOT_LEFT}" y1="${TOP - 8}" x2="${PLOT_LEFT}" y2="${plotBottom}" stroke="#5f6368" stroke-width="1"/>`,
  );
  parts.push(
    `<line x1="${PLOT_LEFT}" y1="${plotBottom}" x2="${PLOT_RIGHT}" y2="${plotBottom}" stroke="#5f6368" stroke-width="1"/>`,
  );
  parts.push(
    text(
      (PLOT_LEFT + PLOT_RIGHT) / 2,
      plotBottom + 38,
      'median time per call (log scale; shorter is faster)',
      'font-size="12" fill="#202124" text-anchor="middle"',
    ),
  );
  parts.push(text(20, TOP - 14, 'workload', 'font-size="12" font-weight="bold" fill="#202124"'));
  results.workloads.forEach((w, g) => {
    const top = TOP + g * (groupHeight + GROUP_GAP);
    parts.push(`<g><title>${escapeXml(w.title)}</title>`);
    parts.push(
      text(PLOT_LEFT - 10, top + groupHeight / 2 + 4, w.id, 'font-size="12" fill="#202124" text-anchor="end"'),
    );
    results.modes.forEach((mode, i) => {
      const y = top + i * (BAR + BAR_GAP);
      const meas = findMeasurement(results, w.id, mode);
      if (!meas) {
        parts.push(text(PLOT_LEFT + 4, y + BAR - 3, `— ${mode}`, 'font-size="10" fill="#80868b"'));
        return;
      }
      const end = Math.max(x(meas.medianMs), PLOT_LEFT + 1);
      parts.push(
        `<rect x="${PLOT_LEFT}" y="${y}" width="${(end - PLOT_LEFT).toFixed(1)}" height="${BAR}" fill="${modeColor(mode)}"><title>${escapeXml(`${w.id} · ${mode}: ${formatMs(meas.medianMs)}`)}</title></rect>`,
      );
      parts.push(text(end + 4, y + BAR - 3, formatMs(meas.medianMs), 'font-size="10" fill="#3c4043"'));
    });
    parts.push('</g>');
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
