/**
 * @file The SSA IR: values typed `dtype[shape]`, parameters (arguments, captured variables and
 * large captured constants), nodes in order, results, and variable updates. Graphs are immutable
 * once built; passes build new ones with a GraphBuilder.
 */
import type { SourceLocation, Tensor, TensorType } from '@kiln-jit/core';

/** An SSA value: defined exactly once, by a parameter or a node. */
export interface Value {
  readonly id: number;
  readonly type: TensorType;
}

/** arg: a tensor argument; var: a captured variable; const: a captured tensor too big to inline. */
export type ParamKind = 'arg' | 'var' | 'const';

export interface Param {
  readonly value: Value;
  /** Printed as `%name`; unique within the graph. */
  readonly name: string;
  readonly kind: ParamKind;
  /** The data of a `const` param (absent in graphs parsed from text). */
  readonly data?: Tensor;
}

export type AttrValue = number | boolean | string | readonly AttrValue[];
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Ops the IR has beyond core's primitives. */
export const CONSTANT_OP = 'constant';

export interface Node {
  /** A core op name, `constant`, or a fused kind such as `fused.elementwise`. */
  readonly op: string;
  readonly inputs: readonly Value[];
  readonly attrs: Attrs;
  readonly output: Value;
  /** The user's source line that made the node while tracing. */
  readonly loc: SourceLocation | null;
  /** The inlined body of a fused node: its params stand for `inputs`, its one result is `output`. */
  readonly body: Graph | null;
  /**
   * The sub-graphs of a control-flow node (ir/regions.ts says which, per op). Regions are closed:
   * their params stand for node inputs, and they read nothing else of the enclosing graph.
   */
  readonly regions?: readonly Graph[];
  /** Every output of a multi-output node (control flow); `output` is the first. Absent: `[output]`. */
  readonly outputs?: readonly Value[];
}

/** The values a node defines. */
export function nodeOutputs(node: Node): readonly Value[] {
  return node.outputs ?? [node.output];
}

export interface Update {
  /** A `var` param of the graph. */
  readonly target: Param;
  readonly value: Value;
}

export interface Graph {
  readonly name: string;
  readonly params: readonly Param[];
  readonly nodes: readonly Node[];
  readonly results: readonly Value[];
  readonly updates: readonly Update[];
  /** Free-form facts later stages attach (the memory plan, for one). */
  readonly annotations: Readonly<Record<string, unknown>>;
}

/** Value ids are unique across all graphs, so passes can mix values of old and new graphs. */
let nextValueId = 0;

/** Builds a graph step by step. */
export class GraphBuilder {
  readonly params: Param[] = [];
  readonly nodes: Node[] = [];
  results: Value[] = [];
  updates: Update[] = [];
  annotations: Record<string, unknown> = {};

  constructor(public name: string) {}

  newValue(type: TensorType): Value {
    return { id: nextValueId++, type: { shape: [...type.shape], dtype: type.dtype } };
  }

  addParam(name: string, kind: ParamKind, type: TensorType, data?: Tensor): Param {
    const param: Param = data
      ? { value: this.newValue(type), name, kind, data }
      : { value: this.newValue(type), name, kind };
    this.params.push(param);
    return param;
  }

  addNode(
    op: string,
    inputs: readonly Value[],
    attrs: Attrs,
    type: TensorType,
    loc: SourceLocation | null = null,
    body: Graph | null = null,
  ): Value {
    const output = this.newValue(type);
    this.nodes.push({ op, inputs: [...inputs], attrs, output, loc, body });
    return output;
  }

  /** Appends a control-flow node with `regions`; returns its outputs (at least one). */
  addRegionNode(
    op: string,
    inputs: readonly Value[],
    attrs: Attrs,
    types: readonly TensorType[],
    regions: readonly Graph[],
    loc: SourceLocation | null = null,
  ): Value[] {
    const outputs = types.map((t) => this.newValue(t));
    this.nodes.push({ op, inputs: [...inputs], attrs, output: outputs[0]!, loc, body: null, regions, outputs });
    return outputs;
  }

  build(): Graph {
    return {
      name: this.name,
      params: [...this.params],
      nodes: [...this.nodes],
      results: [...this.results],
      updates: [...this.updates],
      annotations: { ...this.annotations },
    };
  }
}

/** The node defining each value (params map to null). */
export function definitions(graph: Graph): Map<Value, Node | null> {
  const defs = new Map<Value, Node | null>();
  for (const p of graph.params) defs.set(p.value, null);
  for (const n of graph.nodes) for (const v of nodeOutputs(n)) defs.set(v, n);
  return defs;
}

/** How many times each value is used by nodes, results and updates. */
export function useCounts(graph: Graph): Map<Value, number> {
  const uses = new Map<Value, number>();
  const use = (v: Value): void => void uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const n of graph.nodes) n.inputs.forEach(use);
  graph.results.forEach(use);
  for (const u of graph.updates) use(u.value);
  return uses;
}

/** A copy of `graph` with some fields replaced. */
export function withGraph(graph: Graph, changes: Partial<Graph>): Graph {
  return { ...graph, ...changes };
}
