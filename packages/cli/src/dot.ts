/**
 * @file The IR as a Graphviz digraph. Every parameter and every node is a Graphviz node (a fused
 * group's body nodes drawn inside a cluster in place of the group), every node input is an edge
 * from the node that computes it, and sinks stand for the graph's results and variable updates.
 * Source locations become tooltips, so an SVG shows each node's user line on hover.
 */
import {
  formatLoc,
  formatNumber,
  formatType,
  fusionKindOf,
  nodeOutputs,
  type AttrValue,
  type FusionKind,
  type Graph,
  type Node,
  type Value,
} from 'kiln-jit';

export interface DotOptions {
  /** Directory that tooltip locations are relative to (default: the working directory). */
  readonly locRelativeTo?: string;
}

const PARAM_COLORS: Record<string, string> = { arg: '#dbeafe', var: '#fef3c7', const: '#e5e7eb' };
const CLUSTER_COLORS: Record<FusionKind, string> = {
  matmul: '#fde2e4',
  conv2d: '#e2ece9',
  elementwise: '#e2f0cb',
  rows: '#dfe7fd',
  reduce: '#fff1c1',
};

/** A DOT double-quoted string. */
const quote = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

const attrList = (attrs: Record<string, string>): string =>
  `[${Object.entries(attrs)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(', ')}]`;

function formatAttr(v: AttrValue): string {
  if (Array.isArray(v)) return `[${v.map(formatAttr).join(',')}]`;
  return typeof v === 'number' ? formatNumber(v) : String(v);
}

function nodeLabel(node: Node, name: string): string {
  const type = formatType(node.output.type);
  if (node.op === 'constant') {
    const value = node.attrs.value;
    return `${name} = constant ${typeof value === 'number' ? formatNumber(value, node.output.type.dtype) : type}`;
  }
  const attrs = Object.entries(node.attrs)
    .filter(([, v]) => v !== false)
    .map(([k, v]) => `${k}=${formatAttr(v)}`);
  return `${name} = ${node.op}${attrs.length ? `[${attrs.join(', ')}]` : ''}\n${type}`;
}

/** Writes DOT statements; a `source` map tells which DOT node produces each value. */
class DotWriter {
  readonly lines: string[] = [];
  /** Edges go at the top level: Graphviz puts a node in every cluster any statement names it in. */
  readonly edges: string[] = [];
  private clusters = 0;

  constructor(private readonly options: DotOptions) {}

  private tooltip(node: Node, label: string): string {
    return node.loc
      ? `${label.split('\n')[0]}\n${formatLoc(node.loc, this.options.locRelativeTo)}`
      : label.split('\n')[0]!;
  }

  /** Draws `graph`'s nodes under `prefix`; `source` already knows where its params come from. */
  drawNodes(graph: Graph, prefix: string, source: Map<Value, string>, indent: string, depth = 0): void {
    graph.nodes.forEach((node, i) => {
      const id = `${prefix}n${i}`;
      const name = `%${'t'.repeat(depth)}${i}`; // the printer's names: %3 outside, %t0 in a body
      if (node.body) {
        this.drawCluster(node, id, name, source, indent, depth);
        return;
      }
      const label = nodeLabel(node, name);
      this.lines.push(
        `${indent}${id} ${attrList({ label, tooltip: this.tooltip(node, label), shape: node.op === 'constant' ? 'plaintext' : 'box' })};`,
      );
      for (const input of node.inputs) this.edges.push(`  ${source.get(input)} -> ${id};`);
      // A control-flow node is drawn as one box (its regions are not expanded): all its outputs leave it.
      for (const v of nodeOutputs(node)) source.set(v, id);
    });
  }

  /** A fused node: its body inside a cluster, body params wired to the node's inputs. */
  private drawCluster(
    node: Node,
    id: string,
    name: string,
    source: Map<Value, string>,
    indent: string,
    depth: number,
  ): void {
    const body = node.body!;
    const inner = new Map(source);
    body.params.forEach((p, k) => inner.set(p.value, source.get(node.inputs[k]!)!));
    const label = `${name} = ${node.op}\n${formatType(node.output.type)}`;
    const kind = fusionKindOf(node.op);
    const fillcolor = kind ? CLUSTER_COLORS[kind] : '#f3f4f6';
    this.lines.push(`${indent}subgraph cluster_${this.clusters++} {`);
    this.lines.push(
      `${indent}  graph ${attrList({ label, tooltip: this.tooltip(node, label), style: 'rounded,filled', fillcolor })};`,
    );
    this.drawNodes(body, `${id}_`, inner, `${indent}  `, depth + 1);
    this.lines.push(`${indent}}`);
    source.set(node.output, inner.get(body.results[0]!)!);
  }
}

/** The graph in Graphviz's DOT language (see the file comment for what is drawn). */
export function graphToDot(graph: Graph, options: DotOptions = {}): string {
  const writer = new DotWriter(options);
  const source = new Map<Value, string>();
  for (const p of graph.params) {
    const id = `p_${p.name.replace(/\W/g, '_')}`;
    const label = `%${p.name}\n${formatType(p.value.type)}${p.kind === 'arg' ? '' : ` ${p.kind}`}`;
    writer.lines.push(
      `  ${id} ${attrList({ label, tooltip: label.replace('\n', ': '), shape: 'ellipse', style: 'filled', fillcolor: PARAM_COLORS[p.kind]! })};`,
    );
    source.set(p.value, id);
  }
  writer.drawNodes(graph, '', source, '  ');
  writer.lines.push(`  result ${attrList({ label: `return (${graph.results.length})`, shape: 'doublecircle' })};`);
  for (const v of graph.results) writer.edges.push(`  ${source.get(v)} -> result;`);
  graph.updates.forEach((u, i) => {
    writer.lines.push(
      `  update${i} ${attrList({ label: `update %${u.target.name}`, shape: 'cds', style: 'filled', fillcolor: PARAM_COLORS.var! })};`,
    );
    writer.edges.push(`  ${source.get(u.value)} -> update${i};`);
  });
  return [
    `digraph ${quote(graph.name)} {`,
    `  graph ${attrList({ label: `@${graph.name}`, labelloc: 't', rankdir: 'TB', fontname: 'Helvetica' })};`,
    `  node ${attrList({ fontname: 'Helvetica', fontsize: '10' })};`,
    `  edge ${attrList({ arrowsize: '0.6' })};`,
    ...writer.lines,
    ...writer.edges,
    '}',
    '',
  ].join('\n');
}
