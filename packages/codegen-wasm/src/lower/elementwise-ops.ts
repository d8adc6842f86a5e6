/**
 * @file The lowering of every elementwise op to f32x4 / i32x4 code: codegen-wasm's row of the
 * "one place per op" tables. Each rule gets its operands as getters (locals, usable many times),
 * their dtypes and the op's attributes, and returns the result vector. Ops without a SIMD
 * instruction use our approximations (simd-math) or, for rare integer and pow cases, a scalar
 * JavaScript helper per lane.
 */
import { GELU_TANH, type BinaryOp, type DType, type OpAttrs, type UnaryOp } from '@kiln-jit/core';
import type { ExpressionRef } from '../binaryen.ts';
import { simdMath } from '../simd-math.ts';
import { mulAdd } from '../fma.ts';
import type { Vec } from '../function-builder.ts';
import type { KernelBuilder } from './module-context.ts';
import type { ScalarImport } from './module-context.ts';

export type ElementwiseOp = UnaryOp | BinaryOp | 'where' | 'cast';
type Lowering<K extends ElementwiseOp> = (
  b: KernelBuilder,
  x: Vec[],
  dtypes: DType[],
  attrs: OpAttrs[K],
) => ExpressionRef;

/** Picks the f32 or the i32 form of a numeric op by the first operand's dtype. */
function numeric(
  f32: (b: KernelBuilder, x: Vec[]) => ExpressionRef,
  i32: (b: KernelBuilder, x: Vec[]) => ExpressionRef,
): Lowering<ElementwiseOp> {
  return (b, x, dtypes) => (dtypes[0] === 'f32' ? f32(b, x) : i32(b, x));
}

/** f32-only ops. */
const float =
  (f: (b: KernelBuilder, x: Vec[]) => ExpressionRef): Lowering<ElementwiseOp> =>
  (b, x) =>
    f(b, x);
const identity: Lowering<ElementwiseOp> = (_b, x) => x[0]!();
const math =
  (name: keyof typeof simdMath): Lowering<ElementwiseOp> =>
  (b, x) =>
    simdMath[name](b, x[0]!());

/** Applies an imported (f64, f64) -> f64 JavaScript helper to each lane. */
function perLane(helper: ScalarImport): Lowering<ElementwiseOp> {
  return (b, x, dtypes) => {
    const { mod, binaryen } = b;
    const name = b.module.scalarImport(helper);
    const isInt = dtypes[0] === 'i32';
    const lane = (v: Vec, i: number): ExpressionRef =>
      isInt ? mod.f64.convert_s.i32(mod.i32x4.extract_lane(v(), i)) : mod.f64.promote(mod.f32x4.extract_lane(v(), i));
    const call = (i: number): ExpressionRef => mod.call(name, [lane(x[0]!, i), lane(x[1]!, i)], binaryen.f64);
    const toLane = (i: number): ExpressionRef => (isInt ? mod.i32.trunc_s_sat.f64(call(i)) : mod.f32.demote(call(i)));
    let v = isInt ? mod.i32x4.splat(toLane(0)) : mod.f32x4.splat(toLane(0));
    for (let i = 1; i < 4; i++)
      v = isInt ? mod.i32x4.replace_lane(v, i, toLane(i)) : mod.f32x4.replace_lane(v, i, toLane(i));
    return v;
  };
}

/** f32 sign: ±1 by sign; zeros (keeping their sign, as Math.sign does) and NaN kept. */
function signF32(b: KernelBuilder, x: Vec[]): ExpressionRef {
  const { mod } = b;
  const pos = mod.v128.and(mod.f32x4.gt(x[0]!(), b.f32x4(0)), b.f32x4(1));
  const neg = mod.v128.and(mod.f32x4.lt(x[0]!(), b.f32x4(0)), b.f32x4(-1));
  const keep = mod.v128.or(mod.f32x4.ne(x[0]!(), x[0]!()), mod.f32x4.eq(x[0]!(), b.f32x4(0)));
  return mod.v128.bitselect(x[0]!(), mod.v128.or(pos, neg), keep);
}

function geluLowering(b: KernelBuilder, x: Vec[], _d: DType[], { approximate }: OpAttrs['gelu']): ExpressionRef {
  const { mod } = b;
  const f = mod.f32x4;
  if (approximate) {
    // 2u = 2s(x + c x^3) = x (2s + 2sc x^2), and 0.5 x (1 + tanh u) = x sigmoid(2u).
    const { scale: s, cubic: c } = GELU_TANH;
    const twoU = f.mul(x[0]!(), mulAdd(b.module, f.mul(x[0]!(), x[0]!()), b.f32x4(2 * s * c), b.f32x4(2 * s)));
    return xTimesSigmoid(b, x[0]!, twoU);
  }
  const inner = simdMath.erf(b, f.mul(x[0]!(), b.f32x4(Math.SQRT1_2)));
  return f.mul(f.mul(b.f32x4(0.5), x[0]!()), f.add(b.f32x4(1), inner));
}

/**
 * x sigmoid(w), which is GELU's tanh form 0.5 x (1 + tanh(w/2)) with five vector operations fewer
 * (no halving, no 1 + tanh, a shorter fraction), and no cancellation in 1 + tanh where x < 0.
 * select.ts lowers the form written out as ops with it too.
 */
export function xTimesSigmoid(b: KernelBuilder, x: Vec, w: ExpressionRef): ExpressionRef {
  return b.mod.f32x4.mul(x(), simdMath.sigmoid(b, w));
}

function castLowering(b: KernelBuilder, x: Vec[], dtypes: DType[], { dtype }: OpAttrs['cast']): ExpressionRef {
  const { mod } = b;
  const from = dtypes[0]!;
  if (from === dtype) return x[0]!();
  if (dtype === 'bool') return from === 'f32' ? mod.f32x4.ne(x[0]!(), b.f32x4(0)) : mod.i32x4.ne(x[0]!(), b.i32x4(0));
  if (from === 'bool') return mod.v128.and(x[0]!(), dtype === 'f32' ? b.f32x4(1) : b.i32x4(1));
  return dtype === 'i32' ? mod.i32x4.trunc_sat_f32x4_s(x[0]!()) : mod.f32x4.convert_i32x4_s(x[0]!());
}

/** Comparisons: f32 or i32 lanes give masks; bool operands compare their masks. */
function compare(f: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'): Lowering<ElementwiseOp> {
  const signed = { eq: 'eq', ne: 'ne', lt: 'lt_s', le: 'le_s', gt: 'gt_s', ge: 'ge_s' } as const;
  return (b, x, dtypes) =>
    dtypes[0] === 'f32' ? b.mod.f32x4[f](x[0]!(), x[1]!()) : b.mod.i32x4[signed[f]](x[0]!(), x[1]!());
}

export const elementwiseLowering: { [K in ElementwiseOp]: Lowering<K> } = {
  neg: numeric(
    (b, x) => b.mod.f32x4.neg(x[0]!()),
    (b, x) => b.mod.i32x4.neg(x[0]!()),
  ),
  abs: numeric(
    (b, x) => b.mod.f32x4.abs(x[0]!()),
    (b, x) => b.mod.i32x4.abs(x[0]!()),
  ),
  sign: numeric(signF32, (b, x) =>
    b.mod.i32x4.sub(
      b.mod.v128.and(b.mod.i32x4.gt_s(x[0]!(), b.i32x4(0)), b.i32x4(1)),
      b.mod.v128.and(b.mod.i32x4.lt_s(x[0]!(), b.i32x4(0)), b.i32x4(1)),
    ),
  ),
  exp: math('exp'),
  log: math('log'),
  log1p: math('log1p'),
  expm1: math('expm1'),
  sqrt: float((b, x) => b.mod.f32x4.sqrt(x[0]!())),
  rsqrt: float((b, x) => b.mod.f32x4.div(b.f32x4(1), b.mod.f32x4.sqrt(x[0]!()))),
  square: numeric(
    (b, x) => b.mod.f32x4.mul(x[0]!(), x[0]!()),
    (b, x) => b.mod.i32x4.mul(x[0]!(), x[0]!()),
  ),
  reciprocal: float((b, x) => b.mod.f32x4.div(b.f32x4(1), x[0]!())),
  sin: math('sin'),
  cos: math('cos'),
  tanh: math('tanh'),
  sigmoid: math('sigmoid'),
  // max keeps NaN in WebAssembly, as Math.max does.
  relu: numeric(
    (b, x) => b.mod.f32x4.max(x[0]!(), b.f32x4(0)),
    (b, x) => b.mod.i32x4.max_s(x[0]!(), b.i32x4(0)),
  ),
  leakyRelu: (b, x, _d, { alpha }) =>
    b.mod.v128.bitselect(x[0]!(), b.mod.f32x4.mul(x[0]!(), b.f32x4(alpha)), b.mod.f32x4.gt(x[0]!(), b.f32x4(0))),
  gelu: geluLowering,
  erf: math('erf'),
  // log(1 + e^x) = max(x, 0) + log1p(e^-|x|), which never overflows.
  softplus: float((b, x) =>
    b.mod.f32x4.add(
      b.mod.f32x4.max(x[0]!(), b.f32x4(0)),
      simdMath.log1p(b, simdMath.exp(b, b.mod.f32x4.neg(b.mod.f32x4.abs(x[0]!())))),
    ),
  ),
  silu: float((b, x) => b.mod.f32x4.mul(x[0]!(), simdMath.sigmoid(b, x[0]!()))),
  // (min(max(x + 3, 0), 6)) / 6: min and max keep NaN, as Math.min and Math.max do.
  hardSigmoid: float((b, x) => {
    const f = b.mod.f32x4;
    return f.div(f.min(f.max(f.add(x[0]!(), b.f32x4(3)), b.f32x4(0)), b.f32x4(6)), b.f32x4(6));
  }),
  floor: numeric(
    (b, x) => b.mod.f32x4.floor(x[0]!()),
    (_b, x) => x[0]!(),
  ),
  ceil: numeric(
    (b, x) => b.mod.f32x4.ceil(x[0]!()),
    (_b, x) => x[0]!(),
  ),
  // nearest rounds half to even, like the eager kernel.
  round: numeric(
    (b, x) => b.mod.f32x4.nearest(x[0]!()),
    (_b, x) => x[0]!(),
  ),
  logicalNot: (b, x) => b.mod.v128.not(x[0]!()),
  stopGradient: identity,
  add: numeric(
    (b, x) => b.mod.f32x4.add(x[0]!(), x[1]!()),
    (b, x) => b.mod.i32x4.add(x[0]!(), x[1]!()),
  ),
  sub: numeric(
    (b, x) => b.mod.f32x4.sub(x[0]!(), x[1]!()),
    (b, x) => b.mod.i32x4.sub(x[0]!(), x[1]!()),
  ),
  mul: numeric(
    (b, x) => b.mod.f32x4.mul(x[0]!(), x[1]!()),
    (b, x) => b.mod.i32x4.mul(x[0]!(), x[1]!()),
  ),
  div: (b, x, d, a) => (d[0] === 'f32' ? b.mod.f32x4.div(x[0]!(), x[1]!()) : perLane('intFloorDiv')(b, x, d, a)),
  pow: (b, x, d, a) => perLane(d[0] === 'f32' ? 'pow' : 'intPow')(b, x, d, a),
  maximum: numeric(
    (b, x) => b.mod.f32x4.max(x[0]!(), x[1]!()),
    (b, x) => b.mod.i32x4.max_s(x[0]!(), x[1]!()),
  ),
  minimum: numeric(
    (b, x) => b.mod.f32x4.min(x[0]!(), x[1]!()),
    (b, x) => b.mod.i32x4.min_s(x[0]!(), x[1]!()),
  ),
  mod: (b, x, d, a) => perLane(d[0] === 'f32' ? 'floorMod' : 'intFloorMod')(b, x, d, a),
  equal: compare('eq'),
  notEqual: compare('ne'),
  less: compare('lt'),
  lessEqual: compare('le'),
  greater: compare('gt'),
  greaterEqual: compare('ge'),
  logicalAnd: (b, x) => b.mod.v128.and(x[0]!(), x[1]!()),
  logicalOr: (b, x) => b.mod.v128.or(x[0]!(), x[1]!()),
  where: (b, x) => b.mod.v128.bitselect(x[1]!(), x[2]!(), x[0]!()),
  cast: castLowering,
};

/** True for ops this table lowers. */
export function isLowerableElementwise(op: string): op is ElementwiseOp {
  return Object.hasOwn(elementwiseLowering, op);
}
