/**
 * @file Rewrite rules as data, in the style of tinygrad's UPat: a pattern says what a node and
 * the nodes defining its inputs must look like and names the values it binds; a rule maps the
 * bindings to a replacement (a value already in the graph, or new nodes to build). The engine
 * infers the type of what a rule builds and applies a rule only if its result has the node's
 * exact type, so no rule needs its own shape check (broadcasting can grow shapes).
 */
import { inferType, isOpName, type SourceLocation, type TensorType } from '@kiln-jit/core';
import { CONSTANT_OP, type Attrs, type Graph, type Node, type Value } from '../ir/graph.ts';
import { rewriteNodes, type RewriteContext } from './rewrite.ts';

/** What a value must be: defined by a node of `op` whose inputs match `inputs`, and pass `where`. */
export interface Pattern {
  /** The defining node's op: a name, one of several names, or a test. Absent: any value. */
  readonly op?: string | readonly string[] | ((op: string) => boolean);
  /** One pattern per input of the defining node (which must have exactly that many). */
  readonly inputs?: readonly Pattern[];
  /** Binds the value under this name; a name used twice must bind the same value both times. */
  readonly name?: string;
  readonly where?: (v: Value, def: Node | null) => boolean;
}

/** Any value, bound to `name`. */
export const val = (name: string): Pattern => ({ name });

/** A value defined by `op` applied to values matching `inputs`. */
export const node = (op: Pattern['op'], ...inputs: Pattern[]): Pattern => ({ op, inputs });

/** `pattern`, also binding the value it matches to `name`. */
export const named = (pattern: Pattern, name: string): Pattern => ({ ...pattern, name });

/** `pattern`, if `where` also holds. */
export const such = (pattern: Pattern, where: NonNullable<Pattern['where']>): Pattern => ({ ...pattern, where });

/** The elements of a constant node (a scalar or a list). */
export function constantElements(def: Node): number[] {
  const value = def.attrs.value as number | number[];
  return typeof value === 'number' ? [value] : value;
}

/** A constant all of whose elements are `x`; Object.is: -0 is not 0. */
export const constant = (x: number): Pattern => ({
  op: CONSTANT_OP,
  where: (_v, def) => constantElements(def!).every((e) => Object.is(e, x)),
});

/** New nodes a rule builds: an op on values (existing or built), with attributes. */
export interface Build {
  readonly op: string;
  readonly inputs: readonly Out[];
  readonly attrs: Attrs;
  /** Required for constants; otherwise inferred with the op's shape rule. */
  readonly type?: TensorType;
  readonly loc?: SourceLocation | null;
}

/** What a rule gives for a node: a replacement value, or a build of one. */
export type Out = Value | Build;

export const emit = (op: string, inputs: readonly Out[], attrs: Attrs = {}): Build => ({ op, inputs, attrs });

/** A constant of `type` built into the graph. */
export const constantOf = (value: number, type: TensorType, loc: SourceLocation | null = null): Build => ({
  op: CONSTANT_OP,
  inputs: [],
  attrs: { value },
  type,
  loc,
});

export type Bindings = Readonly<Record<string, Value>>;

export interface RuleContext {
  /** The node being rewritten. */
  readonly node: Node;
  /** The node defining `v` (null for params). */
  def(v: Value): Node | null;
}

export interface Rule {
  readonly pattern: Pattern;
  /** The replacement, or null to leave the node to the next rule. */
  readonly rewrite: (bindings: Bindings, context: RuleContext) => Out | null;
}

export const rule = (pattern: Pattern, rewrite: Rule['rewrite']): Rule => ({ pattern, rewrite });

function opMatches(want: Pattern['op'], op: string): boolean {
  if (want === undefined) return true;
  if (typeof want === 'string') return want === op;
  if (typeof want === 'function') return want(op);
  return want.includes(op);
}

/** Matches `p` against value `v` (defined by `def`), adding to `bound`; false on a mismatch. */
function matchValue(
  p: Pattern,
  v: Value,
  def: Node | null,
  ctx: RewriteContext,
  bound: Record<string, Value>,
): boolean {
  if (p.op !== undefined && (def === null || !opMatches(p.op, def.op))) return false;
  if (p.inputs) {
    if (def === null || def.inputs.length !== p.inputs.length) return false;
    if (!p.inputs.every((q, i) => matchValue(q, def.inputs[i]!, ctx.def(def.inputs[i]!), ctx, bound))) return false;
  }
  if (p.where && !p.where(v, def)) return false;
  if (p.name !== undefined) {
    if (bound[p.name] !== undefined && bound[p.name] !== v) return false;
    bound[p.name] = v;
  }
  return true;
}

/** The bindings of `pattern` matched against `node`, or null. */
export function match(pattern: Pattern, node: Node, ctx: RewriteContext): Bindings | null {
  const bound: Record<string, Value> = {};
  return matchValue(pattern, node.output, node, ctx, bound) ? bound : null;
}

const isValue = (out: Out): out is Value => !('op' in out);

function typeOf(out: Out): TensorType {
  if (isValue(out)) return out.type;
  if (out.type) return out.type;
  if (!isOpName(out.op)) throw new Error(`rewrite rule builds ${out.op}, which has no shape rule; give its type`);
  return inferType(out.op, out.inputs.map(typeOf), out.attrs as never);
}

const sameType = (a: TensorType, b: TensorType): boolean =>
  a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

function emitOut(out: Out, ctx: RewriteContext, loc: SourceLocation | null): Value {
  if (isValue(out)) return out;
  const inputs = out.inputs.map((i) => emitOut(i, ctx, loc));
  return ctx.emit(out.op, inputs, out.attrs, typeOf(out), out.loc !== undefined ? out.loc : loc);
}

/** Rules indexed by the root op they can match; rules whose root op is a test come last. */
function indexRules(rules: readonly Rule[]): (op: string) => readonly Rule[] {
  const byOp = new Map<string, Rule[]>();
  const tested: Rule[] = [];
  for (const r of rules) {
    const op = r.pattern.op;
    if (typeof op === 'function' || op === undefined) tested.push(r);
    else for (const name of typeof op === 'string' ? [op] : op) byOp.set(name, [...(byOp.get(name) ?? []), r]);
  }
  const cache = new Map<string, readonly Rule[]>();
  return (op) => {
    let list = cache.get(op);
    if (!list) {
      list = [...(byOp.get(op) ?? []), ...tested.filter((r) => opMatches(r.pattern.op, op))];
      cache.set(op, list);
    }
    return list;
  };
}

/**
 * One sweep over `graph`: each node is replaced by the result of the first rule (in table order)
 * that matches it and gives a result of the node's type. Replaced nodes' inputs are left for DCE.
 */
export function applyRules(graph: Graph, rules: readonly Rule[]): Graph {
  const rulesFor = indexRules(rules);
  return rewriteNodes(graph, (n, ctx) => {
    for (const r of rulesFor(n.op)) {
      const bindings = match(r.pattern, n, ctx);
      if (!bindings) continue;
      const out = r.rewrite(bindings, { node: n, def: ctx.def });
      if (out !== null && sameType(typeOf(out), n.output.type)) return emitOut(out, ctx, n.loc);
    }
    return null;
  });
}
