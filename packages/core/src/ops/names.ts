/**
 * @file The op set: every primitive's name, its attribute type, and its family. Passes and
 * backends work from the families (unary, binary, reduce, ...) so they never list ops by hand.
 */
import type { DType } from '../dtype.ts';

export const UNARY_OPS = [
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'leakyRelu',
  'gelu',
  'erf',
  'softplus',
  'silu',
  'hardSigmoid',
  'floor',
  'ceil',
  'round',
  'logicalNot',
  'stopGradient',
] as const;
export const ARITHMETIC_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'mod'] as const;
export const COMPARE_OPS = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const;
export const LOGICAL_OPS = ['logicalAnd', 'logicalOr'] as const;
export const BINARY_OPS = [...ARITHMETIC_OPS, ...COMPARE_OPS, ...LOGICAL_OPS] as const;
export const REDUCE_OPS = ['sum', 'max', 'min', 'prod', 'argmax', 'argmin'] as const;
/** The reductions that fold their elements with an associative operation from an identity. */
export const FOLD_OPS = ['sum', 'max', 'min', 'prod'] as const satisfies readonly ReduceOp[];
export const LAYOUT_OPS = [
  'reshape',
  'transpose',
  'broadcastTo',
  'slice',
  'concat',
  'pad',
  'gather',
  'scatterAdd',
  'oneHot',
] as const;

export type UnaryOp = (typeof UNARY_OPS)[number];
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];
export type CompareOp = (typeof COMPARE_OPS)[number];
export type LogicalOp = (typeof LOGICAL_OPS)[number];
export type BinaryOp = (typeof BINARY_OPS)[number];
export type ReduceOp = (typeof REDUCE_OPS)[number];
export type FoldOp = (typeof FOLD_OPS)[number];
export type LayoutOp = (typeof LAYOUT_OPS)[number];

type NoAttrs = Record<string, never>;
export interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

type UnaryWithAttrs = 'leakyRelu' | 'gelu';

/** Attributes of every op, keyed by op name. Attributes are canonical (axes normalized, sorted). */
export interface OpAttrs
  extends Record<Exclude<UnaryOp, UnaryWithAttrs> | BinaryOp, NoAttrs>, Record<ReduceOp, ReduceAttrs> {
  leakyRelu: { alpha: number };
  /** approximate: the tanh form; otherwise the exact erf form. */
  gelu: { approximate: boolean };
  cast: { dtype: DType };
  /** Prints the tensor each time it runs (eagerly, or on every call of a traced function). */
  print: { label: string };
  where: NoAttrs;
  reshape: { shape: number[] };
  transpose: { perm: number[] };
  broadcastTo: { shape: number[] };
  slice: { begin: number[]; size: number[] };
  concat: { axis: number };
  pad: { paddings: [number, number][]; value: number };
  /** out = x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:] */
  gather: { axis: number };
  /** The adjoint of gather: sums `updates` into a zero tensor whose `axis` has `dimSize` entries. */
  scatterAdd: { axis: number; dimSize: number };
  oneHot: { depth: number };
  matmul: { transposeA: boolean; transposeB: boolean };
  /**
   * Threefry-2x32 random bits from an i32[2] key, laid out as JAX's `random_bits`: raw 32-bit
   * words for i32, or their top 23 bits as a fraction in [0, 1) for f32 (JAX's uniform floats).
   */
  randomBits: { shape: number[]; dtype: 'i32' | 'f32' };
}

export type OpName = keyof OpAttrs;

/** The family of an op, which decides how passes and backends treat it. */
export type OpFamily = 'unary' | 'binary' | 'select' | 'cast' | 'reduce' | 'layout' | 'matmul' | 'effect' | 'random';

const families: { [K in OpName]: OpFamily } = {
  ...(Object.fromEntries(UNARY_OPS.map((op) => [op, 'unary'])) as Record<UnaryOp, 'unary'>),
  ...(Object.fromEntries(BINARY_OPS.map((op) => [op, 'binary'])) as Record<BinaryOp, 'binary'>),
  ...(Object.fromEntries(REDUCE_OPS.map((op) => [op, 'reduce'])) as Record<ReduceOp, 'reduce'>),
  ...(Object.fromEntries(LAYOUT_OPS.map((op) => [op, 'layout'])) as Record<LayoutOp, 'layout'>),
  cast: 'cast',
  print: 'effect',
  where: 'select',
  matmul: 'matmul',
  randomBits: 'random',
};

export const OP_NAMES = Object.keys(families) as OpName[];

export function opFamily(op: OpName): OpFamily {
  return families[op];
}

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(families, name);
}

/** sum, max, min, prod: reductions a backend can run as partial accumulators combined in any order. */
export function isFoldOp(op: string): op is FoldOp {
  return (FOLD_OPS as readonly string[]).includes(op);
}

/**
 * Elementwise ops map each output element from the same-index (broadcast) input elements. Takes
 * any node op (false for constants and fused nodes).
 */
export function isElementwise(op: string): boolean {
  if (!isOpName(op)) return false;
  const f = families[op];
  return f === 'unary' || f === 'binary' || f === 'select' || f === 'cast';
}
