/**
 * @file Instruction selection across elementwise nodes: a pattern of several nodes whose operands
 * are at hand is lowered as one cheaper computation, within the bounds of the approximations it
 * replaces (simd-math). One pattern so far: 0.5 x (1 + tanh u) = x sigmoid(2u), the tanh form of
 * GELU written out as ops (GPT-2's `gelu_new`), which then costs what the gelu op costs. The
 * covered nodes are still lowered, each to a local; those nothing else reads are dead code, which
 * the engine's optimizing compiler drops. The IR, and so the interpreter, keeps every node.
 */
import { CONSTANT_OP, type Node, type Value } from '@kiln-jit/tracer';
import type { ExpressionRef } from '../binaryen.ts';
import type { Vec } from '../function-builder.ts';
import { xTimesSigmoid } from './elementwise-ops.ts';
import { mulAdd } from '../fma.ts';
import type { KernelBuilder } from './module-context.ts';

/** The node computing a value, among the nodes being lowered together. */
export type Producers = ReadonlyMap<Value, Node>;

const constantValue = (node: Node | undefined): number | null =>
  node?.op === CONSTANT_OP && typeof node.attrs.value === 'number' ? node.attrs.value : null;

/** For `node` = op(v, k) or op(k, v) with the constant k: v and k. */
function withConstant(node: Node | undefined, op: string, producers: Producers): { v: Value; k: number } | null {
  if (node?.op !== op || node.inputs.length !== 2) return null;
  const [a, b] = node.inputs as [Value, Value];
  const kb = constantValue(producers.get(b));
  if (kb !== null) return { v: a, k: kb };
  const ka = constantValue(producers.get(a));
  return ka !== null ? { v: b, k: ka } : null;
}

/** A binary node's two operands, both ways round (for commutative ops). */
const bothOrders = (n: Node): (readonly [Value, Value])[] => {
  const [p, q] = n.inputs as [Value, Value];
  return [
    [p, q],
    [q, p],
  ];
};

/** x when `v` = (x·x)·x or x·(x·x), else null. */
function cubeBase(v: Value, producers: Producers): Value | null {
  const n = producers.get(v);
  if (n?.op !== 'mul' || n.inputs.length !== 2) return null;
  const [p, q] = n.inputs as [Value, Value];
  const squares = (s: Value, x: Value): boolean => {
    const m = producers.get(s);
    return m?.op === 'mul' && m.inputs[0] === x && m.inputs[1] === x;
  };
  return squares(p, q) ? q : squares(q, p) ? p : null;
}

/** x and k when `t` = x + k·x³ (in any operand order) for a finite constant k, else null. */
function cubicOf(t: Value, producers: Producers): { x: Value; k: number } | null {
  const n = producers.get(t);
  if (n?.op !== 'add' || n.inputs.length !== 2) return null;
  for (const [linear, cubic] of bothOrders(n)) {
    const scaled = withConstant(producers.get(cubic), 'mul', producers);
    if (scaled && Number.isFinite(scaled.k) && cubeBase(scaled.v, producers) === linear)
      return { x: linear, k: scaled.k };
  }
  return null;
}

/**
 * 2u as few operations as it takes: when u = t·c for a constant c, t·2c (exactly 2(t·c) in f32
 * but for overflow), and when t is moreover x + k·x³ (GELU's), x·(2c + 2ck·x²) as the gelu op
 * computes it, one operation fewer; else u·2.
 */
function twice(b: KernelBuilder, u: Value, producers: Producers, values: ReadonlyMap<Value, Vec>): ExpressionRef {
  const f = b.mod.f32x4;
  const scaled = withConstant(producers.get(u), 'mul', producers);
  const t = scaled && Number.isFinite(scaled.k) ? values.get(scaled.v) : undefined;
  if (!scaled || !t) return f.mul(values.get(u)!(), b.f32x4(2));
  const cubic = cubicOf(scaled.v, producers);
  const x = cubic && values.get(cubic.x);
  if (!cubic || !x) return f.mul(t(), b.f32x4(2 * scaled.k));
  const c = 2 * scaled.k;
  return f.mul(x(), mulAdd(b.module, f.mul(x(), x()), b.f32x4(c * cubic.k), b.f32x4(c)));
}

/** `node` lowered as a multi-node pattern ending in it, or null when it ends none. */
export function selectPattern(
  b: KernelBuilder,
  node: Node,
  producers: Producers,
  values: ReadonlyMap<Value, Vec>,
): ExpressionRef | null {
  if (node.op !== 'mul' || node.output.type.dtype !== 'f32' || node.inputs.length !== 2) return null;
  for (const [halfX, onePlusTanh] of bothOrders(node)) {
    const half = withConstant(producers.get(halfX), 'mul', producers);
    const onePlus = withConstant(producers.get(onePlusTanh), 'add', producers);
    const tanh = onePlus?.k === 1 ? producers.get(onePlus.v) : undefined;
    const x = half?.k === 0.5 ? values.get(half.v) : undefined;
    if (x && tanh?.op === 'tanh' && values.has(tanh.inputs[0]!)) {
      return xTimesSigmoid(b, x, twice(b, tanh.inputs[0]!, producers, values));
    }
  }
  return null;
}
