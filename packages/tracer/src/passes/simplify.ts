/**
 * @file Algebraic simplification: a table of one-line rewrite rules (patterns.ts), named by what
 * they do, applied to a fixpoint. Each rule keeps results bit-for-bit identical to the
 * unsimplified graph (IEEE-safe), signed zeros included: the sign of a zero decides the sign of an
 * infinity (1 / -0 = -Inf). A rule applies only where its result has the node's exact type.
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
import { broadcastShapes, isElementwise, isOpName, opFamily, shapesEqual, sizeOf } from '@kiln-jit/core';
import { CONSTANT_OP, type Graph, type Node, type Value } from '../ir/graph.ts';
import { toFixpoint, intoRegions } from './rewrite.ts';
import {
  applyRules,
  constant,
  constantElements,
  constantOf,
  emit,
  named,
  node,
  rule,
  such,
  val,
  type Bindings,
  type Out,
  type RuleContext,
} from './patterns.ts';

const [x, y, c] = [val('x'), val('y'), val('c')];
/** z with z + x = x for every x: -0, or 0 in i32 (which has no -0). */
const additiveIdentity = such(node(CONSTANT_OP), (v, def) =>
  constantElements(def!).every((e) => Object.is(e, -0) || (v.type.dtype === 'i32' && e === 0)),
);
const oneElement = (v: Value): boolean => sizeOf(v.type.shape) === 1;
const isReduce = (op: string): boolean => isOpName(op) && opFamily(op) === 'reduce';
const identityPerm = (perm: readonly number[]): boolean => perm.every((p, i) => p === i);

/** The single value of a 1-element tensor as a 0-d value (a scalar constant when it is constant). */
function scalarOf(v: Value, def: Node | null): Out {
  const type = { dtype: v.type.dtype, shape: [] };
  if (def?.op === CONSTANT_OP) return constantOf(constantElements(def)[0]!, type, def.loc);
  return { ...emit('reshape', [v], { shape: [] }), type, loc: def?.loc ?? null };
}

/** transpose(transpose(x)): one transpose by the composed permutation, or x itself. */
function composeTransposes({ x, inner }: Bindings, { node: n, def }: RuleContext): Out {
  const perm = (n.attrs.perm as number[]).map((p) => (def(inner)!.attrs.perm as number[])[p]!);
  return identityPerm(perm) ? x : emit('transpose', [x], { perm });
}

/** reshape(r = reduce[keepDims](x)) to r's shape without the kept 1s: reduce(x) without keepDims. */
function dropKeptDims({ x, r }: Bindings, { def }: RuleContext): Out | null {
  const { op, attrs } = def(r)!;
  return attrs.keepDims === true ? emit(op, [x], { axes: attrs.axes!, keepDims: false }) : null;
}

/** The node's broadcast, of the one value of x taken as a 0-d value. */
function broadcastScalar({ x }: Bindings, { node: n, def }: RuleContext): Out {
  return emit('broadcastTo', [scalarOf(x, def(x))], { shape: [...n.output.type.shape] });
}

/** An elementwise op reading broadcastTo(y) can read y and broadcast implicitly: same values, no copy. */
function readUnbroadcast(_b: Bindings, { node: n, def }: RuleContext): Out | null {
  if (n.inputs.length < 2) return null; // a unary op's shape is its input's: it needs the copy
  const i = n.inputs.findIndex((v) => def(v)?.op === 'broadcastTo');
  if (i < 0) return null;
  const inputs = n.inputs.map((v, j) => (j === i ? def(v)!.inputs[0]! : v));
  const shape = inputs.reduce<number[] | null>((s, v) => s && broadcastShapes(s, v.type.shape), []);
  return shape && shapesEqual(shape, n.output.type.shape) ? emit(n.op, inputs, n.attrs) : null;
}

const isIdentityTranspose = (_v: Value, n: Node | null): boolean => identityPerm(n!.attrs.perm as number[]);
/** broadcastTo(x) of a 1-element x; and a 1-element constant x that is not 0-d already. */
const oneValueBroadcast = node('broadcastTo', such(x, oneElement));
const oneValueConstant = such(named(node(CONSTANT_OP), 'x'), (v) => oneElement(v) && v.type.shape.length > 0);
const transposed = named(node('transpose', x), 'inner');
const reshapeLike = (x: Value, c: RuleContext): Out => emit('reshape', [x], c.node.attrs);

/** The rules, in the order they are tried; each one's name says what it does. */
export const SIMPLIFY_RULES = {
  'x * 1 -> x': rule(node('mul', x, constant(1)), ({ x }) => x),
  '1 * x -> x': rule(node('mul', constant(1), x), ({ x }) => x),
  'x * -1 -> -x': rule(node('mul', x, constant(-1)), ({ x }) => emit('neg', [x])),
  'x + -0 -> x (x + 0 in i32)': rule(node('add', x, additiveIdentity), ({ x }) => x),
  '-0 + x -> x (0 + x in i32)': rule(node('add', additiveIdentity, x), ({ x }) => x),
  'x + -y -> x - y': rule(node('add', x, node('neg', y)), ({ x, y }) => emit('sub', [x, y])),
  'x - 0 -> x': rule(node('sub', x, constant(0)), ({ x }) => x),
  'x - -y -> x + y': rule(node('sub', x, node('neg', y)), ({ x, y }) => emit('add', [x, y])),
  'x / 1 -> x': rule(node('div', x, constant(1)), ({ x }) => x),
  'x ^ 1 -> x': rule(node('pow', x, constant(1)), ({ x }) => x),
  'x ^ 2 -> square(x)': rule(node('pow', x, constant(2)), ({ x }) => emit('square', [x])),
  '-(-x) -> x': rule(node('neg', node('neg', x)), ({ x }) => x),
  '!!x -> x': rule(node('logicalNot', node('logicalNot', x)), ({ x }) => x),
  // Gradients are already in the graph: stopGradient is the identity.
  'stopGradient(x) -> x': rule(node('stopGradient', x), ({ x }) => x),
  'cast(x) to its own dtype -> x': rule(node('cast', x), ({ x }) => x),
  'where(c, x, x) -> x': rule(node('where', c, x, x), ({ x }) => x),
  'reshape(x) to its own shape -> x': rule(node('reshape', x), ({ x }) => x),
  'reshape(reshape(x)) -> reshape(x)': rule(node('reshape', node('reshape', x)), ({ x }, c) => reshapeLike(x, c)),
  'reshape(reduce[keepDims](x)) -> reduce(x)': rule(node('reshape', named(node(isReduce, x), 'r')), dropKeptDims),
  'reshape(broadcastTo(one value)) -> broadcastTo(scalar)': rule(node('reshape', oneValueBroadcast), broadcastScalar),
  'transpose(x) by the identity -> x': rule(such(node('transpose', x), isIdentityTranspose), ({ x }) => x),
  'transpose(transpose(x)) -> transpose(x) or x': rule(node('transpose', transposed), composeTransposes),
  'broadcastTo(x) to its own shape -> x': rule(node('broadcastTo', x), ({ x }) => x),
  'broadcastTo(1-element constant) -> broadcastTo(scalar)': rule(
    node('broadcastTo', oneValueConstant),
    broadcastScalar,
  ),
  'slice of everything -> x': rule(node('slice', x), ({ x }) => x),
  'pad by nothing -> x': rule(node('pad', x), ({ x }) => x),
  'op(broadcastTo(y), z) -> op(y, z)': rule({ op: isElementwise }, readUnbroadcast),
};

const RULES = Object.values(SIMPLIFY_RULES);

/** Applies the rule table until nothing changes. */
function simplifyGraph(graph: Graph): Graph {
  return toFixpoint(graph, (g) => applyRules(g, RULES));
}

/** {@link simplifyGraph} on the graph and inside every control-flow region. */
export const simplify = intoRegions(simplifyGraph);
