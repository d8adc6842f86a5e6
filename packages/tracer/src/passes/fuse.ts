/**
 * @file Fusion: groups of nodes that can run as one kernel become one `fused.<kind>` node whose
 * body is the group's subgraph (the kinds are in ir/fusion.ts). Groups grow from a consumer
 * backwards, absorbing a producer only when every use of its value is inside the group (so
 * nothing else needs it in memory) and its shape fits the group's iteration space.
 */
import { isElementwise, isFoldOp, rowShape, shapesEqual } from '@kiln-jit/core';
import { CONSTANT_OP, GraphBuilder, withGraph, type Graph, type Node, type Value } from '../ir/graph.ts';
import { fusedOp, type FusionKind } from '../ir/fusion.ts';
import { dce } from './dce.ts';
import { intoRegions } from './rewrite.ts';

interface Group {
  kind: FusionKind;
  root: Node;
  members: Set<Node>;
  /** elementwise/matmul: the output shape; rows: the full row shape; reduce: the reduction's input shape. */
  domain: readonly number[];
  /** reduce groups: the reduction's output shape. */
  reduced?: readonly number[];
}

const isFusibleElementwise = (n: Node): boolean => isElementwise(n.op) && !n.body;
const isFoldingReduction = (n: Node): boolean => isFoldOp(n.op) && n.output.type.dtype !== 'bool';
const isRowReduction = (n: Node): boolean => {
  if (!isFoldingReduction(n)) return false;
  const axes = n.attrs.axes as number[];
  const rank = n.inputs[0]!.type.shape.length;
  return rank > 0 && axes.length === 1 && axes[0] === rank - 1 && n.attrs.keepDims === true;
};
const same = shapesEqual;
/** Ops whose kernel reads its operands from memory and takes an elementwise epilogue. */
const EPILOGUE_PRODUCERS: Readonly<Record<string, FusionKind>> = { matmul: 'matmul', conv2d: 'conv2d' };
const readsMemory = (op: string): boolean => Object.hasOwn(EPILOGUE_PRODUCERS, op);

/** Tries to add producer `p` to `g`, changing the group's kind where p calls for it. */
function tryJoin(g: Group, p: Node): boolean {
  const shape = p.output.type.shape;
  if (isFusibleElementwise(p)) {
    // Per-row values ([..., 1]) next to full rows turn an elementwise group into a row group.
    if (g.kind === 'elementwise' && g.domain.length > 0 && g.domain.at(-1) !== 1 && same(shape, rowShape(g.domain))) {
      g.kind = 'rows';
      return true;
    }
    switch (g.kind) {
      case 'elementwise':
      case 'matmul':
      case 'conv2d':
        return same(shape, g.domain);
      case 'rows':
        return same(shape, g.domain) || same(shape, rowShape(g.domain));
      case 'reduce':
        return same(shape, g.domain) || same(shape, g.reduced!);
    }
  }
  if (isFoldingReduction(p) && (g.kind === 'elementwise' || g.kind === 'rows')) {
    const input = p.inputs[0]!.type.shape;
    if (isRowReduction(p)) {
      // A row group takes row reductions of its full rows; an elementwise group over full rows
      // (softmax's divide) or over row results (logSumExp's log) becomes a row group.
      const fits = g.kind === 'rows' ? same(input, g.domain) : same(input, g.domain) || same(shape, g.domain);
      if (!fits) return false;
      g.kind = 'rows';
      g.domain = input;
      return true;
    }
    if (g.kind === 'elementwise' && same(shape, g.domain) && !same(input, shape)) {
      g.kind = 'reduce';
      g.reduced = g.domain;
      g.domain = input;
      return true;
    }
  }
  if (readsMemory(p.op) && g.kind === 'elementwise' && same(shape, g.domain) && p.output.type.dtype === 'f32') {
    g.kind = EPILOGUE_PRODUCERS[p.op]!;
    return true;
  }
  return false;
}

/** A group started at `root`, grown backwards while producers can join. */
function growGroup(
  root: Node,
  defs: Map<Value, Node>,
  users: Map<Value, Node[]>,
  escapes: Set<Value>,
  taken: Set<Node>,
): Group | null {
  let g: Group;
  if (isFusibleElementwise(root))
    g = { kind: 'elementwise', root, members: new Set([root]), domain: root.output.type.shape };
  else if (isRowReduction(root))
    g = { kind: 'rows', root, members: new Set([root]), domain: root.inputs[0]!.type.shape };
  else if (isFoldingReduction(root))
    g = {
      kind: 'reduce',
      root,
      members: new Set([root]),
      domain: root.inputs[0]!.type.shape,
      reduced: root.output.type.shape,
    };
  else return null;
  for (let changed = true; changed;) {
    changed = false;
    for (const member of [...g.members]) {
      if (readsMemory(member.op)) continue; // a matmul or conv reads its operands from memory
      for (const v of member.inputs) {
        const p = defs.get(v);
        if (!p || g.members.has(p) || taken.has(p) || p.op === CONSTANT_OP || escapes.has(v)) continue;
        // A matmul or conv reads its operands from memory: what feeds it cannot be computed inside the group.
        if (!users.get(v)!.every((u) => g.members.has(u) && !readsMemory(u.op))) continue;
        if (tryJoin(g, p)) {
          g.members.add(p);
          changed = true;
        }
      }
    }
  }
  return g.members.size > 1 ? g : null;
}

/** The group's body: a graph over its external inputs, with scalar constants copied in. */
function buildBody(g: Group, order: readonly Node[], defs: Map<Value, Node>): { body: Graph; inputs: Value[] } {
  const b = new GraphBuilder('body');
  const map = new Map<Value, Value>();
  const inputs: Value[] = [];
  const bodyValue = (v: Value): Value => {
    let mapped = map.get(v);
    if (mapped) return mapped;
    const def = defs.get(v);
    if (def && def.op === CONSTANT_OP && typeof def.attrs.value === 'number') {
      mapped = b.addNode(CONSTANT_OP, [], def.attrs, v.type);
    } else {
      mapped = b.addParam(`in${inputs.length}`, 'arg', v.type).value;
      inputs.push(v);
    }
    map.set(v, mapped);
    return mapped;
  };
  for (const node of order) {
    if (!g.members.has(node)) continue;
    const ins = node.inputs.map(bodyValue);
    map.set(node.output, b.addNode(node.op, ins, node.attrs, node.output.type, node.loc));
  }
  b.results = [map.get(g.root.output)!];
  // Params were added as inputs were met; the builder keeps that order, matching `inputs`.
  return { body: b.build(), inputs };
}

function fuseGraph(graph: Graph): Graph {
  const defs = new Map<Value, Node>(graph.nodes.map((n) => [n.output, n]));
  const users = new Map<Value, Node[]>();
  for (const n of graph.nodes) for (const v of n.inputs) users.set(v, [...(users.get(v) ?? []), n]);
  const escapes = new Set<Value>([...graph.results, ...graph.updates.map((u) => u.value)]);
  const taken = new Set<Node>();
  const groupOfRoot = new Map<Node, Group>();
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (taken.has(node)) continue;
    const g = growGroup(node, defs, users, escapes, taken);
    if (!g) continue;
    for (const m of g.members) taken.add(m);
    groupOfRoot.set(node, g);
  }
  if (groupOfRoot.size === 0) return graph;
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const g = groupOfRoot.get(node);
    if (g) {
      const { body, inputs } = buildBody(g, graph.nodes, defs);
      nodes.push({ op: fusedOp(g.kind), inputs, attrs: {}, output: node.output, loc: node.loc, body });
    } else if (!taken.has(node)) {
      nodes.push(node);
    }
  }
  // Constants copied into bodies may have no users left outside.
  return dce(withGraph(graph, { nodes }));
}

/** Nodes that run as kernels: everything but constants and (storage-sharing) reshapes. */
export function kernelCount(graph: Graph): number {
  return graph.nodes.filter((n) => n.op !== CONSTANT_OP && n.op !== 'reshape').length;
}

/** {@link fuseGraph} on the graph and inside every control-flow region. */
export const fuse = intoRegions(fuseGraph);
