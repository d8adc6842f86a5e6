/**
 * @file The unary family, one entry per op: the dtypes it accepts, its value on one element (the
 * eager kernel applies it; storing into the output rounds it) and its gradient. The shape rule
 * and the kernel loop are the family's; the table's type makes a missing entry a compile error.
 */
import { KilnArgumentError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { unaryKernel, type UnaryFn } from '../kernels/elementwise.ts';
import {
  erf,
  geluErf,
  geluTanh,
  GELU_TANH,
  INV_SQRT_2PI,
  roundHalfEven,
  sigmoid,
  softplus,
  TWO_OVER_SQRT_PI,
} from '../kernels/scalar-math.ts';
import { UNARY_OPS, type OpAttrs, type UnaryOp } from './names.ts';
import { familyRules, type FamilyRules, type VjpRule } from './rules.ts';
import { checkArity, checkDType, type DTypeClass } from './shape-rules.ts';
import { chain, noGradient } from './vjp.ts';
import {
  add,
  cos,
  div,
  erf as erfOp,
  exp,
  greater,
  less,
  logicalAnd,
  mul,
  neg,
  sigmoid as sigmoidOp,
  sign,
  sin,
  square,
  sub,
  tanh,
  where,
} from './api.ts';

export interface UnaryDef<K extends UnaryOp> {
  /** The dtypes the op accepts; the output has the input's type. */
  readonly dtypes: DTypeClass;
  /** The op on one element, in double precision. */
  readonly scalar: (x: number, attrs: OpAttrs[K]) => number;
  /** The i32 form where it differs from `scalar` (x * x in doubles is inexact past 2^26). */
  readonly int?: (x: number) => number;
  /** Checks attribute values (the shape rule runs it on user input). */
  readonly checkAttrs?: (attrs: OpAttrs[K]) => void;
  readonly vjp: VjpRule<K>;
}

function geluDerivative(x: Tensor, approximate: boolean): Tensor {
  if (!approximate) {
    // d/dx x·Φ(x) = Φ(x) + x·φ(x)
    const cdf = mul(0.5, add(1, erfOp(mul(x, Math.SQRT1_2))));
    return add(cdf, mul(x, mul(INV_SQRT_2PI, exp(mul(-0.5, square(x))))));
  }
  // y = x/2·(1 + tanh(u)), u = c·(x + k·x³): y' = (1 + t)/2 + x/2·(1 - t²)·c·(1 + 3k·x²)
  const { scale: c, cubic: k } = GELU_TANH;
  const x2 = square(x);
  const t = tanh(mul(c, add(x, mul(k, mul(x, x2)))));
  const du = mul(c, add(1, mul(3 * k, x2)));
  return add(mul(0.5, add(1, t)), mul(mul(0.5, x), mul(sub(1, square(t)), du)));
}

export const unaryOps: { readonly [K in UnaryOp]: UnaryDef<K> } = {
  neg: { dtypes: 'numeric', scalar: (x) => -x, vjp: (g) => [neg(g)] },
  abs: { dtypes: 'numeric', scalar: Math.abs, vjp: chain((x) => sign(x)) },
  sign: { dtypes: 'numeric', scalar: Math.sign, vjp: noGradient },
  exp: { dtypes: 'float', scalar: Math.exp, vjp: chain((_x, y) => y) },
  log: { dtypes: 'float', scalar: Math.log, vjp: (g, [x]) => [div(g, x!)] },
  log1p: { dtypes: 'float', scalar: Math.log1p, vjp: (g, [x]) => [div(g, add(x!, 1))] },
  expm1: { dtypes: 'float', scalar: Math.expm1, vjp: chain((_x, y) => add(y, 1)) },
  sqrt: { dtypes: 'float', scalar: Math.sqrt, vjp: (g, _x, y) => [div(g, mul(y, 2))] },
  rsqrt: { dtypes: 'float', scalar: (x) => 1 / Math.sqrt(x), vjp: chain((x, y) => mul(-0.5, div(y, x))) },
  square: { dtypes: 'numeric', scalar: (x) => x * x, int: (x) => Math.imul(x, x), vjp: chain((x) => mul(x, 2)) },
  reciprocal: { dtypes: 'float', scalar: (x) => 1 / x, vjp: chain((_x, y) => neg(square(y))) },
  sin: { dtypes: 'float', scalar: Math.sin, vjp: chain((x) => cos(x)) },
  cos: { dtypes: 'float', scalar: Math.cos, vjp: chain((x) => neg(sin(x))) },
  tanh: { dtypes: 'float', scalar: Math.tanh, vjp: chain((_x, y) => sub(1, square(y))) },
  sigmoid: { dtypes: 'float', scalar: sigmoid, vjp: chain((_x, y) => mul(y, sub(1, y))) },
  // Math.max keeps NaN, as PyTorch's relu does. The gradient reads the output: y > 0 exactly
  // where x > 0, and using y lets the producer of x fuse into relu.
  relu: { dtypes: 'numeric', scalar: (x) => Math.max(x, 0), vjp: (g, _x, y) => [where(greater(y, 0), g, 0)] },
  leakyRelu: {
    dtypes: 'float',
    scalar: (x, { alpha }) => (x > 0 ? x : alpha * x),
    checkAttrs: ({ alpha }) => {
      if (typeof alpha !== 'number') throw new KilnArgumentError(`leakyRelu: alpha must be a number, got ${alpha}`);
    },
    vjp: (g, [x], y, { alpha }) => [where(greater(alpha >= 0 ? y : x!, 0), g, mul(g, alpha))],
  },
  gelu: {
    dtypes: 'float',
    scalar: (x, { approximate }) => (approximate ? geluTanh(x) : geluErf(x)),
    vjp: chain((x, _y, { approximate }) => geluDerivative(x, approximate)),
  },
  erf: { dtypes: 'float', scalar: erf, vjp: chain((x) => mul(TWO_OVER_SQRT_PI, exp(neg(square(x))))) },
  softplus: { dtypes: 'float', scalar: softplus, vjp: chain((x) => sigmoidOp(x)) },
  // y = x·σ(x): y' = σ(x)·(1 + x·(1 - σ(x))) = σ(x) + y·(1 - σ(x)).
  silu: {
    dtypes: 'float',
    scalar: (x) => x / (1 + Math.exp(-x)),
    vjp: chain((x, y) => add(sigmoidOp(x), mul(y, sub(1, sigmoidOp(x))))),
  },
  // relu6(x + 3) / 6, as PyTorch and JAX define it; the slope is 1/6 strictly inside (-3, 3).
  hardSigmoid: {
    dtypes: 'float',
    scalar: (x) => Math.min(Math.max(x + 3, 0), 6) / 6,
    vjp: (g, [x]) => [where(logicalAnd(greater(x!, -3), less(x!, 3)), div(g, 6), 0)],
  },
  floor: { dtypes: 'numeric', scalar: Math.floor, vjp: noGradient },
  ceil: { dtypes: 'numeric', scalar: Math.ceil, vjp: noGradient },
  round: { dtypes: 'numeric', scalar: roundHalfEven, vjp: noGradient },
  logicalNot: { dtypes: 'bool', scalar: (x) => (x === 0 ? 1 : 0), vjp: noGradient },
  stopGradient: { dtypes: 'any', scalar: (x) => x, vjp: noGradient },
};

export const unaryRules: FamilyRules<UnaryOp> = familyRules(UNARY_OPS, (op) => {
  const def = unaryOps[op] as UnaryDef<UnaryOp>;
  return {
    shape: (inputs, attrs) => {
      checkArity(op, inputs, 1);
      checkDType(op, inputs[0]!, def.dtypes);
      def.checkAttrs?.(attrs);
      return inputs[0]!;
    },
    kernel: unaryKernel(def.scalar as UnaryFn, def.int as UnaryFn | undefined),
    vjp: def.vjp,
  };
});

/** Each unary op on one element, in double precision: the eager reference other backends are compared with. */
export const unaryScalar: { readonly [K in UnaryOp]: UnaryDef<K>['scalar'] } = Object.fromEntries(
  UNARY_OPS.map((op) => [op, unaryOps[op].scalar]),
) as { [K in UnaryOp]: UnaryDef<K>['scalar'] };
