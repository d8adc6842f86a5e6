/**
 * @file The binary family (NumPy broadcasting), one entry per op: the operand dtypes, the result
 * dtype, its value on one pair of elements (with an i32 form where integer semantics differ),
 * whether it is commutative, and its gradient.
 */
import type { DType } from '../dtype.ts';
import { binaryKernel, type BinaryScalar } from '../kernels/elementwise.ts';
import { floorMod, intFloorDiv, intFloorMod } from '../kernels/scalar-math.ts';
import { BINARY_OPS, type BinaryOp, type OpName } from './names.ts';
import { familyRules, type FamilyRules, type VjpRule } from './rules.ts';
import { broadcastAll, checkArity, checkDType, sameDType, type DTypeClass } from './shape-rules.ts';
import { noGradients } from './vjp.ts';
import { div, equal, floor, greaterEqual, lessEqual, log, mul, neg, pow, sub, sumToShape, where } from './api.ts';

export interface BinaryDef<K extends BinaryOp> {
  /** The dtypes both operands may have (they must be equal). */
  readonly operands: DTypeClass;
  /** The result dtype: the operands' ('same') or bool. */
  readonly result: 'same' | DType;
  readonly scalar: BinaryScalar;
  /** op(a, b) === op(b, a) for every input, NaN included. */
  readonly commutative?: true;
  readonly vjp: VjpRule<K>;
}

/** Ties send the whole gradient to the first operand, as TensorFlow does. */
function extremumVjp(op: 'maximum' | 'minimum'): VjpRule<'maximum' | 'minimum'> {
  return (g, [a, b]) => {
    const wins = op === 'maximum' ? greaterEqual(a!, b!) : lessEqual(a!, b!);
    return [sumToShape(where(wins, g, 0), a!.shape), sumToShape(where(wins, 0, g), b!.shape)];
  };
}

const compare = (f32: BinaryScalar['f32'], operands: DTypeClass = 'numeric'): BinaryDef<BinaryOp> => ({
  operands,
  result: 'bool',
  scalar: { f32 },
  vjp: noGradients,
});

export const binaryOps: { readonly [K in BinaryOp]: BinaryDef<K> } = {
  add: {
    operands: 'numeric',
    result: 'same',
    scalar: { f32: (a, b) => a + b },
    commutative: true,
    vjp: (g, [a, b]) => [sumToShape(g, a!.shape), sumToShape(g, b!.shape)],
  },
  sub: {
    operands: 'numeric',
    result: 'same',
    scalar: { f32: (a, b) => a - b },
    vjp: (g, [a, b], _y, _attrs, needs) => [sumToShape(g, a!.shape), needs[1] ? sumToShape(neg(g), b!.shape) : null],
  },
  mul: {
    operands: 'numeric',
    result: 'same',
    scalar: { f32: (a, b) => a * b, i32: Math.imul },
    commutative: true,
    vjp: (g, [a, b], _y, _attrs, needs) => [
      needs[0] ? sumToShape(mul(g, b!), a!.shape) : null,
      needs[1] ? sumToShape(mul(g, a!), b!.shape) : null,
    ],
  },
  div: {
    operands: 'numeric',
    result: 'same',
    scalar: { f32: (a, b) => a / b, i32: intFloorDiv },
    vjp: (g, [a, b], y, _attrs, needs) => [
      needs[0] ? sumToShape(div(g, b!), a!.shape) : null,
      needs[1] ? sumToShape(neg(mul(g, div(y, b!))), b!.shape) : null,
    ],
  },
  pow: {
    operands: 'numeric',
    result: 'same',
    scalar: { f32: Math.pow },
    vjp: (g, [a, b], y, _attrs, needs) => [
      needs[0] ? sumToShape(mul(g, mul(b!, pow(a!, sub(b!, 1)))), a!.shape) : null,
      // d/db a^b = a^b·log(a); taken as 0 at a = 0 (the limit where a^b -> 0), NaN for a < 0.
      needs[1] ? sumToShape(mul(g, where(equal(a!, 0), 0, mul(y, log(where(equal(a!, 0), 1, a!))))), b!.shape) : null,
    ],
  },
  maximum: {
    operands: 'numeric',
    result: 'same',
    scalar: { f32: Math.max },
    commutative: true,
    vjp: extremumVjp('maximum'),
  },
  minimum: {
    operands: 'numeric',
    result: 'same',
    scalar: { f32: Math.min },
    commutative: true,
    vjp: extremumVjp('minimum'),
  },
  mod: {
    operands: 'numeric',
    result: 'same',
    scalar: { f32: floorMod, i32: intFloorMod },
    vjp: (g, [a, b], _y, _attrs, needs) => [
      sumToShape(g, a!.shape),
      needs[1] ? sumToShape(neg(mul(g, floor(div(a!, b!)))), b!.shape) : null,
    ],
  },
  equal: { ...compare((a, b) => a === b, 'any'), commutative: true },
  notEqual: { ...compare((a, b) => a !== b, 'any'), commutative: true },
  less: compare((a, b) => a < b),
  lessEqual: compare((a, b) => a <= b),
  greater: compare((a, b) => a > b),
  greaterEqual: compare((a, b) => a >= b),
  logicalAnd: { ...compare((a, b) => a !== 0 && b !== 0, 'bool'), commutative: true },
  logicalOr: { ...compare((a, b) => a !== 0 || b !== 0, 'bool'), commutative: true },
};

export const binaryRules: FamilyRules<BinaryOp> = familyRules(BINARY_OPS, (op) => {
  const def = binaryOps[op] as BinaryDef<BinaryOp>;
  return {
    shape: (inputs) => {
      checkArity(op, inputs, 2);
      const [a, b] = inputs as [(typeof inputs)[0], (typeof inputs)[0]];
      checkDType(op, a, def.operands);
      sameDType(op, a, b);
      return { shape: broadcastAll(op, inputs), dtype: def.result === 'same' ? a.dtype : def.result };
    },
    kernel: binaryKernel(def.scalar),
    vjp: def.vjp,
  };
});

/** Each binary op's scalar functions (the eager reference; backends call them for pow and mod). */
export const binaryScalar: { readonly [K in BinaryOp]: BinaryScalar } = Object.fromEntries(
  BINARY_OPS.map((op) => [op, binaryOps[op].scalar]),
) as { [K in BinaryOp]: BinaryScalar };

/** op(a, b) === op(b, a) for every input, NaN included. */
export function isCommutative(op: OpName): boolean {
  return (binaryOps as Partial<Record<OpName, BinaryDef<BinaryOp>>>)[op]?.commutative === true;
}
