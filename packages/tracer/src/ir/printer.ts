/**
 * @file The printed form of the IR, which is Kiln's debugging UI:
 *
 *   graph @step(%x: f32[128,784], %w1: f32[784,512] var) {
 *     %0: f32[128,512] = matmul %x, %w1
 *     %1: f32[128,512] = relu %0
 *     return %1
 *     update %w1 <- %5
 *   }
 *
 * Value names are stable: parameters keep their names, node outputs are numbered in order.
 * Attributes print in brackets (booleans only when true); fused nodes print their body inline.
 */
import type { SourceLocation } from '@kiln-jit/core';
import { CONSTANT_OP, nodeOutputs, type Graph, type Node, type Value } from './graph.ts';
import { isRegionOp, REGION_NAMES } from './regions.ts';
import { formatAttrValue, formatNumber, formatType } from './format-values.ts';

export interface PrintOptions {
  /** Append each node's source location as a `# file:line` comment. */
  loc?: boolean;
  /** Print locations relative to this directory (default: the working directory). */
  locRelativeTo?: string;
  /** Per-node notes to append as comments (the memory planner's buffer names, say). */
  notes?: ReadonlyMap<Node, string>;
}

/** Names for every value of a graph: `%name` for params, `%<prefix><index>` for nodes. */
export function valueNames(graph: Graph, prefix = ''): Map<Value, string> {
  const names = new Map<Value, string>();
  for (const p of graph.params) names.set(p.value, `%${p.name}`);
  let next = 0;
  for (const n of graph.nodes) for (const v of nodeOutputs(n)) names.set(v, `%${prefix}${next++}`);
  return names;
}

function formatConstant(node: Node): string {
  const data = node.attrs.value as readonly number[] | number;
  const dtype = node.output.type.dtype;
  if (typeof data === 'number') return formatNumber(data, dtype);
  return `[${data.map((x) => formatNumber(x, dtype)).join(', ')}]`;
}

function formatAttrs(attrs: Node['attrs']): string {
  const parts = Object.entries(attrs)
    .filter(([, v]) => v !== false)
    .map(([k, v]) => `${k}=${formatAttrValue(v)}`);
  return parts.length ? `[${parts.join(', ')}]` : '';
}

/** The working directory under Node; none in a browser, where locations are URLs. */
const workingDirectory = (): string | undefined => (globalThis as { process?: { cwd?(): string } }).process?.cwd?.();

/** The segments of an absolute '/'-path, with `.` and `..` resolved. */
function segments(path: string): string[] {
  const out: string[] = [];
  for (const s of path.split('/'))
    if (s === '..') out.pop();
    else if (s !== '' && s !== '.') out.push(s);
  return out;
}

/** `to` relative to the directory `from` (resolved against the working directory), as posix `relative` gives it. */
function relativePath(from: string, to: string): string {
  const a = segments(from.startsWith('/') ? from : `${workingDirectory() ?? ''}/${from}`);
  const b = segments(to);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

/** `file:line` of a node's location; absolute paths print relative to `base` (the working directory). */
export function formatLoc(loc: SourceLocation, base = workingDirectory()): string {
  const file = base !== undefined && loc.file.startsWith('/') ? relativePath(base, loc.file) : loc.file;
  return `${file}:${loc.line}`;
}

function printNodes(
  graph: Graph,
  names: Map<Value, string>,
  indent: string,
  options: PrintOptions,
  depth: number,
): string[] {
  const name = (v: Value): string => names.get(v) ?? `%?${v.id}`;
  const lines: string[] = [];
  for (const node of graph.nodes) {
    const defined = nodeOutputs(node).map((v) => `${name(v)}: ${formatType(v.type)}`);
    const head = `${indent}${defined.join(', ')} = ${node.op}`;
    const args =
      node.op === CONSTANT_OP
        ? ` ${formatConstant(node)}`
        : (node.inputs.length ? ' ' : '') + node.inputs.map(name).join(', ');
    const attrs = node.op === CONSTANT_OP ? '' : formatAttrs(node.attrs);
    const comments = [
      options.loc && node.loc ? formatLoc(node.loc, options.locRelativeTo) : '',
      (options.notes ?? (graph.annotations.nodeNotes as ReadonlyMap<Node, string> | undefined))?.get(node) ?? '',
    ].filter(Boolean);
    const comment = comments.length ? `  # ${comments.join('  ')}` : '';
    if (node.body) {
      lines.push(`${head}${attrs}${args} {${comment}`);
      lines.push(...printBody(node.body, indent + '  ', options, depth + 1));
      lines.push(`${indent}}`);
    } else if (isRegionOp(node.op)) {
      lines.push(`${head}${attrs}${args} {${comment}`);
      node.regions!.forEach((region, r) => {
        lines.push(...printRegion(REGION_NAMES[node.op as 'cond'][r]!, region, indent + '  ', options, depth + 1));
      });
      lines.push(`${indent}}`);
    } else {
      lines.push(`${head}${attrs}${args}${comment}`);
    }
  }
  return lines;
}

function paramList(graph: Graph): string {
  return graph.params
    .map((p) => `%${p.name}: ${formatType(p.value.type)}${p.kind === 'arg' ? '' : ` ${p.kind}`}`)
    .join(', ');
}

/** A fused node's body: its parameter list, its nodes, and `yield`. */
function printBody(body: Graph, indent: string, options: PrintOptions, depth: number): string[] {
  const names = valueNames(body, `${'t'.repeat(depth)}`);
  return [
    `${indent}(${paramList(body)})`,
    ...printNodes(body, names, indent, options, depth),
    `${indent}yield ${body.results.map((v) => names.get(v)).join(', ')}`,
  ];
}

/** A control-flow region: `name(params) {`, its nodes, `yield ...`, `}`. */
function printRegion(label: string, region: Graph, indent: string, options: PrintOptions, depth: number): string[] {
  const names = valueNames(region, `${'t'.repeat(depth)}`);
  return [
    `${indent}${label}(${paramList(region)}) {`,
    ...printNodes(region, names, indent + '  ', options, depth),
    `${indent}  yield${region.results.length ? ' ' : ''}${region.results.map((v) => names.get(v)).join(', ')}`,
    `${indent}}`,
  ];
}

/** Prints a graph in Kiln's IR text form. */
export function printGraph(graph: Graph, options: PrintOptions = {}): string {
  const names = valueNames(graph);
  const name = (v: Value): string => names.get(v) ?? `%?${v.id}`;
  const lines = [`graph @${graph.name}(${paramList(graph)}) {`];
  lines.push(...printNodes(graph, names, '  ', options, 0));
  lines.push(`  return${graph.results.length ? ' ' : ''}${graph.results.map(name).join(', ')}`);
  for (const u of graph.updates) lines.push(`  update %${u.target.name} <- ${name(u.value)}`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
