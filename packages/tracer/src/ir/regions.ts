/**
 * @file The control-flow ops of the IR: nodes that own regions (closed sub-graphs) and may have
 * several outputs. One entry per op says its regions, its attributes and how the types of inputs,
 * region params, region results and outputs must line up; the verifier, parser, interpreter,
 * passes and backends read it.
 *
 *   cond   inputs [pred, ...captures]; regions then/else: (captures) -> outputs
 *   while  inputs [...state, ...captures] (state: `carried` values); regions
 *          cond: (state, captures) -> bool scalar, body: (state, captures) -> state; outputs: state
 *   scan   inputs [...carry, ...xs, ...captures] (`carried` carries, `sliced` xs of leading size
 *          `length`); region body: (carry, x slices, captures) -> [carry, ...y];
 *          outputs [carry, ...ys] with each y stacked on a new leading axis of `length`
 */
import { shapesEqual, type TensorType } from '@kiln-jit/core';
import type { AttrKind } from './attr-schema.ts';
import type { Graph, Node } from './graph.ts';
import { formatType } from './format-values.ts';

export const REGION_OPS = ['cond', 'while', 'scan'] as const;
export type RegionOp = (typeof REGION_OPS)[number];

export function isRegionOp(op: string): op is RegionOp {
  return (REGION_OPS as readonly string[]).includes(op);
}

/** The regions of each op, by name, in order (they print as `then(...) {...}` and so on). */
export const REGION_NAMES: { readonly [K in RegionOp]: readonly string[] } = {
  cond: ['then', 'else'],
  while: ['cond', 'body'],
  scan: ['body'],
};

export const REGION_ATTRS: { readonly [K in RegionOp]: Readonly<Record<string, AttrKind>> } = {
  cond: {},
  while: { carried: 'int' },
  scan: { carried: 'int', sliced: 'int', length: 'int', reverse: 'bool' },
};

/** What a region node's types must be, derived from its inputs, attributes and region results. */
interface Signature {
  /** The param types of each region. */
  readonly params: readonly (readonly TensorType[])[];
  /** The result types of each region. */
  readonly results: readonly (readonly TensorType[])[];
  readonly outputs: readonly TensorType[];
}

const BOOL_SCALAR: TensorType = { dtype: 'bool', shape: [] };

function signature(node: Node): Signature | string {
  const ins = node.inputs.map((v) => v.type);
  const regions = node.regions ?? [];
  const results = (r: number): TensorType[] => (regions[r]?.results ?? []).map((v) => v.type);
  const k = Number(node.attrs.carried ?? 0);
  switch (node.op as RegionOp) {
    case 'cond': {
      if (ins.length < 1) return 'needs a predicate input';
      const captures = ins.slice(1);
      return { params: [captures, captures], results: [results(0), results(0)], outputs: results(0) };
    }
    case 'while': {
      if (k > ins.length) return `carries ${k} values but has ${ins.length} inputs`;
      return { params: [ins, ins], results: [[BOOL_SCALAR], ins.slice(0, k)], outputs: ins.slice(0, k) };
    }
    case 'scan': {
      const m = Number(node.attrs.sliced);
      const length = Number(node.attrs.length);
      if (k + m > ins.length) return `carries ${k} and slices ${m} values but has ${ins.length} inputs`;
      const xs = ins.slice(k, k + m);
      const bad = xs.find((x) => x.shape[0] !== length);
      if (bad) return `slices ${formatType(bad)} but its length is ${length}`;
      const slices = xs.map((x) => ({ dtype: x.dtype, shape: x.shape.slice(1) }));
      const body = results(0);
      const ys = body.slice(k).map((y) => ({ dtype: y.dtype, shape: [length, ...y.shape] }));
      return {
        params: [[...ins.slice(0, k), ...slices, ...ins.slice(k + m)]],
        results: [[...ins.slice(0, k), ...body.slice(k)]],
        outputs: [...ins.slice(0, k), ...ys],
      };
    }
  }
}

function sameTypes(a: readonly TensorType[], b: readonly TensorType[]): boolean {
  return a.length === b.length && a.every((t, i) => t.dtype === b[i]!.dtype && shapesEqual(t.shape, b[i]!.shape));
}

const list = (ts: readonly TensorType[]): string => `(${ts.map(formatType).join(', ')})`;

/** Checks a region node's types against its op's rule; returns a problem description or null. */
export function checkRegionNode(node: Node, verify: (g: Graph) => void): string | null {
  const op = node.op as RegionOp;
  const names = REGION_NAMES[op];
  const regions = node.regions ?? [];
  if (regions.length !== names.length) return `has ${regions.length} regions but ${op} has ${names.length}`;
  const extra = Object.keys(node.attrs).find((a) => !(a in REGION_ATTRS[op]));
  if (extra) return `has unknown attribute ${extra}`;
  const sig = signature(node);
  if (typeof sig === 'string') return sig;
  for (let r = 0; r < regions.length; r++) {
    const region = regions[r]!;
    const params = region.params.map((p) => p.value.type);
    if (region.params.some((p) => p.kind !== 'arg')) return `region ${names[r]} has a non-arg parameter`;
    if (!sameTypes(params, sig.params[r]!))
      return `region ${names[r]} takes ${list(params)} but the node passes ${list(sig.params[r]!)}`;
    if (region.updates.length) return `region ${names[r]} updates a variable (regions return new values instead)`;
    verify(region);
    const results = region.results.map((v) => v.type);
    if (!sameTypes(results, sig.results[r]!))
      return `region ${names[r]} yields ${list(results)} but must yield ${list(sig.results[r]!)}`;
  }
  const outputs = (node.outputs ?? [node.output]).map((v) => v.type);
  if (!sameTypes(outputs, sig.outputs)) return `outputs ${list(outputs)} but its regions give ${list(sig.outputs)}`;
  return null;
}

/** The output types of a region node built from its parts (used by the parser's checks and tracing). */
export function regionOutputTypes(node: Node): readonly TensorType[] | null {
  const sig = signature(node);
  return typeof sig === 'string' ? null : sig.outputs;
}
