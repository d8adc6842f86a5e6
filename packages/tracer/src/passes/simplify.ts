/**
 * @file Algebraic simplification as a table of one-line rewrite rules, applied to a fixpoint.
 * Each rule keeps results bit-for-bit identical to the unsimplified graph (IEEE-safe), signed
 * zeros included: the sign of a zero decides the sign of an infinity (1 / -0 = -Inf).
 *
 * Tempting rules that are NOT applied, because they change results:
 *   x + 0 -> x           wrong for x = -0 in f32 (gives +0); x + -0 -> x is applied
 *   x * 0 -> 0           wrong for x = NaN or ±Inf (gives NaN)
 *   x - x -> 0           wrong for x = NaN or ±Inf
 *   x / x -> 1           wrong for 0, NaN, ±Inf
 *   exp(log(x)) -> x     wrong for x <= 0 (log gives NaN or -Inf)
 *   log(exp(x)) -> x     wrong where exp overflows (x > ~88 gives Inf)
 *   sqrt(square(x)) -> abs(x)   wrong where square overflows
 *   (x + a) + b -> x + (a + b)  reassociation changes rounding
 *   x / c -> x * (1/c)   rounds differently unless c is a power of two
 *   sum(broadcastTo(x)) -> x * n  rounds differently from the sequential sum
 */
import {
  broadcastShapes,
  isElementwise,
  isOpName,
  opFamily,
  reducedShape,
  shapesEqual,
  sizeOf,
  type TensorType,
} from '@kiln-jit/core';
import { CONSTANT_OP, type Graph, type Node, type Value } from '../ir/graph.ts';
import { rewriteNodes, toFixpoint, type RewriteContext } from './rewrite.ts';

type Rule = (n: Node, c: Helpers) => Value | null;

interface Helpers extends RewriteContext {
  /** The constant node defining v whose elements all are `x` (-0 is not 0), or false. */
  isConst(v: Value, x: number): boolean;
  /** True if v is defined by a constant node. */
  isConstant(v: Value): boolean;
  /** The op of v's defining node ('' for params). */
  opOf(v: Value): string;
  /** The first input of v's defining node. */
  arg(v: Value, i?: number): Value;
}

const sameType = (a: TensorType, b: TensorType): boolean => a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
/** `v` may stand for `n`'s output only if it has the same type (broadcasting can grow shapes). */
const as = (n: Node, v: Value): Value | null => (sameType(n.output.type, v.type) ? v : null);
const [A, B] = [0, 1];
/** z + x is x for every x: z is -0, or 0 in i32 (which has no -0). */
const isAdditiveIdentity = (z: Value, c: Helpers): boolean =>
  c.isConst(z, -0) || (z.type.dtype === 'i32' && c.isConst(z, 0));
const input = (n: Node, i: number): Value => n.inputs[i]!;

const rules: Record<string, Rule[]> = {
  mul: [
    (n, c) => (c.isConst(input(n, B), 1) ? as(n, input(n, A)) : null), // x * 1 -> x
    (n, c) => (c.isConst(input(n, A), 1) ? as(n, input(n, B)) : null), // 1 * x -> x
    (n, c) =>
      c.isConst(input(n, B), -1) && sameType(n.output.type, input(n, A).type)
        ? c.emit('neg', [input(n, A)], {}, n.output.type, n.loc)
        : null, // x * -1 -> -x
  ],
  add: [
    (n, c) => (isAdditiveIdentity(input(n, B), c) ? as(n, input(n, A)) : null), // x + -0 -> x (and x + 0 in i32)
    (n, c) => (isAdditiveIdentity(input(n, A), c) ? as(n, input(n, B)) : null), // -0 + x -> x (likewise)
    (n, c) =>
      c.opOf(input(n, B)) === 'neg' ? c.emit('sub', [input(n, A), c.arg(input(n, B))], {}, n.output.type, n.loc) : null, // x + -y -> x - y
  ],
  sub: [
    (n, c) => (c.isConst(input(n, B), 0) ? as(n, input(n, A)) : null), // x - 0 -> x
    (n, c) =>
      c.opOf(input(n, B)) === 'neg' ? c.emit('add', [input(n, A), c.arg(input(n, B))], {}, n.output.type, n.loc) : null, // x - -y -> x + y
  ],
  div: [
    (n, c) => (c.isConst(input(n, B), 1) ? as(n, input(n, A)) : null), // x / 1 -> x
  ],
  pow: [
    (n, c) => (c.isConst(input(n, B), 1) ? as(n, input(n, A)) : null), // x ^ 1 -> x
    (n, c) =>
      c.isConst(input(n, B), 2) && sameType(n.output.type, input(n, A).type)
        ? c.emit('square', [input(n, A)], {}, n.output.type, n.loc)
        : null, // x ^ 2 -> square(x)
  ],
  neg: [(n, c) => (c.opOf(input(n, A)) === 'neg' ? c.arg(input(n, A)) : null)], // -(-x) -> x
  logicalNot: [(n, c) => (c.opOf(input(n, A)) === 'logicalNot' ? c.arg(input(n, A)) : null)], // !!x -> x
  stopGradient: [(n) => input(n, A)], // gradients are already in the graph: stopGradient is the identity
  print: [],
  cast: [(n) => as(n, input(n, A))], // cast to the same dtype -> x
  where: [(n) => (input(n, 1) === input(n, 2) ? as(n, input(n, 1)) : null)], // where(c, x, x) -> x
  reshape: [
    (n) => as(n, input(n, A)), // reshape to the same shape -> x
    (n, c) =>
      c.opOf(input(n, A)) === 'reshape' ? c.emit('reshape', [c.arg(input(n, A))], n.attrs, n.output.type, n.loc) : null, // reshape(reshape(x)) -> reshape(x)
    (n, c) => dropKeptDims(n, c), // reshape(sum[keepDims](x)) dropping the kept 1s -> sum(x)
    (n, c) =>
      c.opOf(input(n, A)) === 'broadcastTo' && sizeOf(c.arg(input(n, A)).type.shape) === 1
        ? c.emit(
            'broadcastTo',
            [scalarOf(c.arg(input(n, A)), c)],
            { shape: [...n.output.type.shape] },
            n.output.type,
            n.loc,
          )
        : null, // reshape(broadcast(1 value)) -> broadcast(scalar)
  ],
  transpose: [
    (n) => ((n.attrs.perm as number[]).every((p, i) => p === i) ? input(n, A) : null), // identity perm -> x
    (n, c) => composeTransposes(n, c), // transpose(transpose(x)) -> one transpose (or x)
  ],
  broadcastTo: [
    (n) => as(n, input(n, A)), // broadcast to the same shape -> x
    (n, c) =>
      c.isConstant(input(n, A)) && sizeOf(input(n, A).type.shape) === 1 && input(n, A).type.shape.length > 0
        ? c.emit('broadcastTo', [scalarOf(input(n, A), c)], n.attrs, n.output.type, n.loc)
        : null, // broadcast of a 1-element constant -> of a scalar constant
  ],
  slice: [(n) => as(n, input(n, A))], // slice of everything -> x
  pad: [(n) => as(n, input(n, A))], // no padding -> x
};

/** An elementwise op reading broadcastTo(y) can read y and broadcast implicitly: same values, no copy. */
const implicitBroadcast: Rule = (n, c) => {
  if (n.inputs.length < 2) return null; // a unary op's shape is its input's: it needs the copy
  const i = n.inputs.findIndex((v) => c.opOf(v) === 'broadcastTo');
  if (i < 0) return null;
  const inputs = n.inputs.map((v, j) => (j === i ? c.arg(v) : v));
  const shape = inputs.reduce<number[] | null>((s, v) => s && broadcastShapes(s, v.type.shape), []);
  if (!shape || !shapesEqual(shape, n.output.type.shape)) return null;
  return c.emit(n.op, inputs, n.attrs, n.output.type, n.loc);
};

/** The single value of a 1-element tensor as a 0-d value (a scalar constant when it is constant). */
function scalarOf(v: Value, c: Helpers): Value {
  const def = c.def(v);
  if (def?.op === CONSTANT_OP) {
    const value = def.attrs.value as number | number[];
    return c.emit(
      CONSTANT_OP,
      [],
      { value: typeof value === 'number' ? value : value[0]! },
      { dtype: v.type.dtype, shape: [] },
      def.loc,
    );
  }
  return c.emit('reshape', [v], { shape: [] }, { dtype: v.type.dtype, shape: [] }, def?.loc ?? null);
}

/** reshape(reduce[keepDims](x)) to the shape without the kept axes is reduce(x) without keepDims. */
function dropKeptDims(n: Node, c: Helpers): Value | null {
  const def = c.def(input(n, A));
  if (!def || def.attrs.keepDims !== true || !isOpName(def.op) || opFamily(def.op) !== 'reduce') return null;
  const axes = def.attrs.axes as number[];
  const x = def.inputs[0]!;
  if (!shapesEqual(reducedShape(x.type.shape, axes, false), n.output.type.shape)) return null;
  return c.emit(def.op, [x], { axes, keepDims: false }, n.output.type, n.loc);
}

function composeTransposes(n: Node, c: Helpers): Value | null {
  if (c.opOf(input(n, A)) !== 'transpose') return null;
  const inner = c.def(input(n, A))!.attrs.perm as number[];
  const outer = n.attrs.perm as number[];
  const perm = outer.map((p) => inner[p]!);
  const source = c.arg(input(n, A));
  return perm.every((p, i) => p === i) ? source : c.emit('transpose', [source], { perm }, n.output.type, n.loc);
}

function simplifyOnce(graph: Graph): Graph {
  return rewriteNodes(graph, (node, ctx) => {
    const helpers: Helpers = {
      ...ctx,
      isConst: (v, x) => {
        const d = ctx.def(v);
        if (!d || d.op !== CONSTANT_OP) return false;
        const value = d.attrs.value as number | number[];
        // Object.is: -0 and 0 are different constants here.
        return typeof value === 'number' ? Object.is(value, x) : value.every((e) => Object.is(e, x));
      },
      isConstant: (v) => ctx.def(v)?.op === CONSTANT_OP,
      opOf: (v) => ctx.def(v)?.op ?? '',
      arg: (v, i = 0) => ctx.def(v)!.inputs[i]!,
    };
    const candidates = [
      ...(rules[node.op] ?? []),
      ...(isOpName(node.op) && isElementwise(node.op) ? [implicitBroadcast] : []),
    ];
    for (const rule of candidates) {
      const result = rule(node, helpers);
      if (result !== null) return result;
    }
    return null;
  });
}

/** Applies the rule table until nothing changes. */
export function simplify(graph: Graph): Graph {
  return toFixpoint(graph, simplifyOnce);
}
