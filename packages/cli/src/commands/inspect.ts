/**
 * @file `kiln inspect <file> --fn NAME`: what Kiln did to a traced function, in numbers: op
 * counts per stage, fusion groups, the memory plan, kernels and code size, and time per pass.
 */
import type { Command } from 'commander';
import { asProgramStep } from '../errors.ts';
import { inspectReport, type InspectReport } from '../inspect-report.ts';
import { openTarget, type TargetOptions } from '../target.ts';
import { out, print, printJson } from '../output.ts';
import { formatTable } from '../table.ts';
import { addTargetOptions } from './target-options.ts';

interface InspectOptions extends TargetOptions {
  json?: boolean;
}

/** `1,234 B`, `12.1 KiB`, `1.5 MiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const ms = (x: number): string => `${x.toFixed(2)} ms`;
const heading = (text: string): string => out.bold(text);

/** Ops as rows, stages as columns: how each pass changed the op mix. */
function opTable(r: InspectReport): string {
  const ops = [...new Set(r.stages.flatMap((s) => Object.keys(s.ops)))];
  const rows = ops.map((op) => [op, ...r.stages.map((s) => String(s.ops[op] ?? 0))]);
  rows.push(['(nodes)', ...r.stages.map((s) => String(s.nodes))]);
  return formatTable(['op', ...r.stages.map((s) => s.name)], rows, out);
}

function fusionText(r: InspectReport): string {
  if (r.fusionGroups.length === 0) return '  (no fusion groups)';
  const rows = r.fusionGroups.map((g) => [g.value, g.kind, g.type, g.ops.join(' '), g.loc ?? '']);
  return formatTable(['value', 'kind', 'type', 'member ops', 'location'], rows, out);
}

function memoryText(r: InspectReport): string {
  const m = r.memory;
  if (!m) return '  (no memory plan: the pipeline has no planMemory pass)';
  const summary =
    `${m.buffers.length} buffers, peak ${formatBytes(m.peakBytes)} (${m.peakBytes} B) ` +
    `vs ${formatBytes(m.totalBytes)} with a buffer per value; ${m.inPlace} computed in place, ${m.views} views; ` +
    `variables updated in their own storage: ${m.variablesInPlace.length ? m.variablesInPlace.join(', ') : 'none'}`;
  const rows = m.buffers.map((b) => [
    String(b.offset),
    String(b.bytes),
    `${b.firstNode}-${b.lastNode}`,
    b.values.join(' '),
  ]);
  return `${summary}\n${formatTable(['offset', 'bytes', 'nodes', 'values'], rows, out)}`;
}

function timingText(r: InspectReport): string {
  const t = r.timings;
  const rows = [
    ['trace', ms(t.traceMs)],
    ...Object.entries(t.passesMs).map(([name, x]) => [name, ms(x)]),
    [`compile (${r.backend})`, ms(t.compileMs)],
  ];
  if (t.binaryen) {
    rows.push(
      ['  binaryen build', ms(t.binaryen.buildMs)],
      ['  binaryen validate+optimize', ms(t.binaryen.optimizeMs)],
      ['  instantiate', ms(t.binaryen.instantiateMs)],
    );
  }
  return formatTable(['step', 'time'], rows, out);
}

/** The threads each kernel uses, in call order. */
function threadText(kernels: readonly { op: string; threads: number }[]): string {
  const split = kernels.filter((x) => x.threads > 1);
  if (!split.length) return 'threads: every kernel runs on the calling thread';
  const list = kernels.map((x, i) => `#${i} ${x.op} ${x.threads}`).join(', ');
  return `threads: ${split.length} of ${kernels.length} kernels split across ${Math.max(...split.map((x) => x.threads))} threads (${list})`;
}

/** The report as text for a terminal. */
export function inspectText(r: InspectReport): string {
  const code = r.wasm
    ? `; wasm module ${formatBytes(r.wasm.bytes)} (${r.wasm.bytes} B) with ${r.wasm.kernels} kernel functions, frame ${formatBytes(r.wasm.frameBytes)}` +
      (r.wasm.compiledBy === 'cache' ? ', loaded from the persistent compile cache' : '') +
      (r.wasm.plannedBy === 'cache' ? ' with its planned graph' : '')
    : '';
  return [
    `${out.bold(r.function)}(${r.arguments.join(', ')})  ${out.dim(r.file)}`,
    `captures ${r.variables.length ? r.variables.join(', ') : 'no variables'}; backend ${r.backend}`,
    '',
    heading('ops per stage'),
    opTable(r),
    '',
    heading(`fusion groups (${r.fusionGroups.length})`),
    fusionText(r),
    '',
    heading('memory plan'),
    memoryText(r),
    '',
    heading('kernels'),
    `${r.kernels} kernels${code}`,
    ...(r.wasm ? [threadText(r.wasm.kernelThreads)] : []),
    '',
    heading('time'),
    timingText(r),
  ].join('\n');
}

/** Registers `inspect` on the program. */
export function registerInspect(program: Command): void {
  addTargetOptions(program.command('inspect'))
    .description(
      'report op counts per stage, fusion groups, the memory plan, kernel count and Wasm size, and time per pass',
    )
    .argument('<file>', 'a TypeScript or JavaScript file')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExample:\n  kiln inspect examples/train-step.ts --fn trainStep --json')
    .action(async (fileArg: string, options: InspectOptions) => {
      const target = await openTarget(fileArg, options);
      const name = target.fn.traceName;
      const report = await asProgramStep(`tracing ${name} failed`, () => target.fn.inspect(...target.specs));
      const data = inspectReport(name, target.file, report);
      if (options.json) printJson(data);
      else print(inspectText(data));
    });
}
