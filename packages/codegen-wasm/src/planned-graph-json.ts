/**
 * @file A planned graph and its memory plan as JSON, for the planned-graph cache. Values are
 * numbered in the order they are defined (params, then per node its body or regions, then its
 * outputs), so the maps of the plan and every node input are numbers; decoding makes fresh values
 * (ids of this process) in the same order. JSON keeps attributes exact but for the numbers it has
 * no text for (±Infinity, NaN, -0), which are written as marker objects. Params carry no tensors
 * and nodes no locations: the caller supplies both from the graph it traced.
 */
import type { DType, SourceLocation, Tensor, TensorType } from '@kiln-jit/core';
import {
  GraphBuilder,
  nodeOutputs,
  type AttrValue,
  type Attrs,
  type Graph,
  type MemoryPlan,
  type Node,
  type Param,
  type ParamKind,
  type Value,
} from '@kiln-jit/tracer';
import { jsonNumber } from './json-number.ts';

type TypeJson = [DType, number[]];
type AttrJson = number | boolean | string | { n: string } | AttrJson[];

interface NodeJson {
  op: string;
  inputs: number[];
  attrs: Record<string, AttrJson>;
  /** The output types; `outputs` when the node lists its outputs (control flow). */
  types: TypeJson[];
  outputs?: true;
  /** What the caller's `locationOf` gave (decoding hands it back). */
  loc: number;
  body?: GraphJson;
  regions?: GraphJson[];
}

interface GraphJson {
  name: string;
  params: [string, ParamKind, TypeJson][];
  nodes: NodeJson[];
  results: number[];
  updates: [string, number][];
}

interface PlanJson {
  policy: string;
  peakBytes: number;
  totalBytes: number;
  buffers: [number, number, number, number, number[]][];
  slots: [number, number, number][];
  inPlace: [number, number][];
  aliases: [number, number][];
  variablesInPlace: string[];
  lifetimes: [number, number, number][];
}

export interface PlannedJson {
  graph: GraphJson;
  plan: PlanJson;
}

const typeJson = (t: TensorType): TypeJson => [t.dtype, [...t.shape]];

const SPECIAL: Record<string, number> = { Infinity: Infinity, '-Infinity': -Infinity, NaN: NaN, '-0': -0 };

function attrJson(v: AttrValue): AttrJson {
  if (Array.isArray(v)) return v.map(attrJson);
  if (typeof v === 'number') return jsonNumber(v);
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  throw new Error(`an attribute that is not a number, boolean, string or list: ${String(v)}`);
}

function attrValue(j: AttrJson): AttrValue {
  if (Array.isArray(j)) return j.map(attrValue);
  if (typeof j === 'object') {
    if (!(j.n in SPECIAL)) throw new Error(`an unknown number marker '${j.n}'`);
    return SPECIAL[j.n]!;
  }
  return j;
}

/** `graph` (planned as `plan`) as JSON; `locationOf` turns each node's location into a number. */
export function plannedToJson(graph: Graph, plan: MemoryPlan, locationOf: (n: Node) => number): PlannedJson {
  const numbers = new Map<Value, number>();
  const define = (v: Value): number => {
    numbers.set(v, numbers.size);
    return numbers.size - 1;
  };
  const use = (v: Value): number => {
    const n = numbers.get(v);
    if (n === undefined) throw new Error(`value #${v.id} is used before it is defined`);
    return n;
  };
  const encode = (g: Graph): GraphJson => ({
    name: g.name,
    params: g.params.map((p) => (define(p.value), [p.name, p.kind, typeJson(p.value.type)])),
    nodes: g.nodes.map((n): NodeJson => {
      const json: NodeJson = {
        op: n.op,
        inputs: n.inputs.map(use),
        attrs: Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, attrJson(v)])),
        types: nodeOutputs(n).map((v) => typeJson(v.type)),
        loc: locationOf(n),
        ...(n.body ? { body: encode(n.body) } : {}),
        ...(n.regions ? { regions: n.regions.map(encode) } : {}),
        ...(n.outputs ? { outputs: true as const } : {}),
      };
      nodeOutputs(n).forEach(define);
      return json;
    }),
    results: g.results.map(use),
    updates: g.updates.map((u) => [u.target.name, use(u.value)]),
  });
  const json = encode(graph);
  return {
    graph: json,
    plan: {
      policy: plan.policy,
      peakBytes: plan.peakBytes,
      totalBytes: plan.totalBytes,
      buffers: plan.buffers.map((b) => [b.offset, b.bytes, b.start, b.end, b.values.map(use)]),
      slots: [...plan.slots].map(([v, s]) => [use(v), s.offset, s.bytes]),
      inPlace: [...plan.inPlace].map(([a, b]) => [use(a), use(b)]),
      aliases: [...plan.aliases].map(([a, b]) => [use(a), use(b)]),
      variablesInPlace: [...plan.variablesInPlace].map((p) => p.name),
      lifetimes: [...plan.lifetimes].map(([v, [a, b]]) => [use(v), a, b]),
    },
  };
}

/**
 * The graph of `plannedToJson`, with fresh values, each top-level param's tensor from
 * `tensorOf` and each node's location from `locationAt`. Throws on data that is not a graph.
 */
export function plannedFromJson(
  json: PlannedJson,
  tensorOf: (name: string) => Tensor | undefined,
  locationAt: (n: number) => SourceLocation | null,
): Graph {
  const builder = new GraphBuilder('');
  const values: Value[] = [];
  const define = (t: TypeJson): Value => {
    const v = builder.newValue({ dtype: t[0], shape: t[1] });
    values.push(v);
    return v;
  };
  const use = (n: number): Value => {
    const v = values[n];
    if (!v) throw new Error(`value ${n} is used before it is defined`);
    return v;
  };
  const decode = (g: GraphJson, top: boolean): Graph => {
    const params = g.params.map(([name, kind, t]): Param => {
      const value = define(t);
      const data = top ? tensorOf(name) : undefined;
      return data ? { value, name, kind, data } : { value, name, kind };
    });
    const byName = new Map(params.map((p) => [p.name, p]));
    const nodes = g.nodes.map((n): Node => {
      const inputs = n.inputs.map(use);
      const attrs: Attrs = Object.fromEntries(Object.entries(n.attrs).map(([k, v]) => [k, attrValue(v)]));
      const body = n.body ? decode(n.body, false) : null;
      const regions = n.regions?.map((r) => decode(r, false));
      const outputs = n.types.map(define);
      if (!outputs.length) throw new Error(`a ${n.op} node without outputs`);
      const node = { op: n.op, inputs, attrs, output: outputs[0]!, loc: locationAt(n.loc), body };
      return { ...node, ...(regions ? { regions } : {}), ...(n.outputs ? { outputs } : {}) };
    });
    return {
      name: g.name,
      params,
      nodes,
      results: g.results.map(use),
      updates: g.updates.map(([name, v]) => {
        const target = byName.get(name);
        if (!target) throw new Error(`an update of %${name}, which is no param`);
        return { target, value: use(v) };
      }),
      annotations: {},
    };
  };
  const graph = decode(json.graph, true);
  const p = json.plan;
  const params = new Map(graph.params.map((x) => [x.name, x]));
  const plan: MemoryPlan = {
    policy: p.policy,
    peakBytes: p.peakBytes,
    totalBytes: p.totalBytes,
    buffers: p.buffers.map(([offset, bytes, start, end, vs]) => ({ offset, bytes, start, end, values: vs.map(use) })),
    slots: new Map(p.slots.map(([v, offset, bytes]) => [use(v), { offset, bytes }])),
    inPlace: new Map(p.inPlace.map(([a, b]) => [use(a), use(b)])),
    aliases: new Map(p.aliases.map(([a, b]) => [use(a), use(b)])),
    variablesInPlace: new Set(
      p.variablesInPlace.map((name) => {
        const param = params.get(name);
        if (!param) throw new Error(`variable %${name} updated in place, which is no param`);
        return param;
      }),
    ),
    lifetimes: new Map(p.lifetimes.map(([v, a, b]) => [use(v), [a, b] as const])),
  };
  return { ...graph, annotations: { memoryPlan: plan } };
}
