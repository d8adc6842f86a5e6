/**
 * @file Accurate f32x4 approximations of exp, expm1, log, log1p, tanh, sigmoid, erf, sin and cos,
 * built as Binaryen expressions. WebAssembly has no transcendental instructions, so the code
 * generator inlines these. Only standard SIMD128 is used (no relaxed SIMD, hence no FMA).
 *
 * Every polynomial is our own minimax fit (a linear program over 4000 Chebyshev nodes, weighted
 * for relative error unless noted), with coefficients rounded to f32; the fit error quoted beside
 * each is far below f32 rounding, so the results are within ~1 ulp. The guaranteed bounds are
 * `simdMathMaxError`, asserted by test/simd-math.test.ts against Math in double rounded to f32.
 * Denormal inputs and outputs are handled (never flushed). Signed zeros are kept by tanh and erf
 * but not by expm1, log1p and sin, which return +0 for -0.
 */
import type { Binaryen, BinaryenModule, ExpressionRef } from './binaryen.ts';

/** What an approximation needs from the function being built. */
export interface SimdMathContext {
  /** The loaded binaryen namespace (for types such as `binaryen.v128`). */
  binaryen: Binaryen;
  mod: BinaryenModule;
  /** Allocates a fresh v128 local in the function being built and returns its index. */
  tempV128(): number;
}

/** An f32x4 -> f32x4 approximation: takes an expression, evaluates it once, returns a new one. */
export type SimdMathFn = (ctx: SimdMathContext, x: ExpressionRef) => ExpressionRef;
/** The names of the approximations, as the lowering looks them up. */
export type SimdMathName = 'exp' | 'expm1' | 'log' | 'log1p' | 'tanh' | 'sigmoid' | 'erf' | 'sin' | 'cos';

/** An error bound: `|got - want| <= max` (absolute) or `<= max * max(|want|, 2^-126)` (relative). */
export interface SimdMathErrorBound {
  kind: 'relative' | 'absolute';
  max: number;
  /** The bound holds for |x| up to this; absent, it holds for every x. */
  maxAbsX?: number;
}

/**
 * The worst error each approximation guarantees against Math (computed in double, rounded to f32)
 * over all floats, except sin and cos, which promise it for |x| <= 1e5 only. Checked on every one
 * of the 2^32 inputs: exp, log and log1p are within 1 ulp (1.19e-7 relative), expm1 within 2 ulps
 * (1.33e-7 relative); tanh and erf are within 1.19e-7 absolute; sigmoid, sin and cos within 6e-8.
 */
export const simdMathMaxError: Record<SimdMathName, SimdMathErrorBound> = {
  exp: { kind: 'relative', max: 1.5e-7 },
  expm1: { kind: 'relative', max: 1.5e-7 },
  log: { kind: 'relative', max: 1.5e-7 },
  log1p: { kind: 'relative', max: 1.5e-7 },
  tanh: { kind: 'absolute', max: 1.5e-7 },
  sigmoid: { kind: 'absolute', max: 1.5e-7 },
  erf: { kind: 'absolute', max: 1.5e-7 },
  sin: { kind: 'absolute', max: 1.5e-7, maxAbsX: 1e5 },
  cos: { kind: 'absolute', max: 1.5e-7, maxAbsX: 1e5 },
};

/** A value held in a local: each call emits a fresh `local.get`, so it may be used many times. */
type Vec = () => ExpressionRef;

/** Collects the local.sets of one approximation and offers the vector idioms the kernels share. */
class SimdBuilder {
  readonly f: BinaryenModule['f32x4'];
  readonly i: BinaryenModule['i32x4'];
  readonly v: BinaryenModule['v128'];
  private readonly sets: ExpressionRef[] = [];

  constructor(private readonly ctx: SimdMathContext) {
    ({ f32x4: this.f, i32x4: this.i, v128: this.v } = ctx.mod);
  }

  /** Evaluates `e` once into a fresh local. */
  local(e: ExpressionRef): Vec {
    const index = this.ctx.tempV128();
    const { mod, binaryen } = this.ctx;
    this.sets.push(mod.local.set(index, e));
    return () => mod.local.get(index, binaryen.v128);
  }

  /** A block that runs the collected sets, then yields `result`. */
  finish(result: ExpressionRef): ExpressionRef {
    return this.ctx.mod.block(null, [...this.sets, result], this.ctx.binaryen.v128);
  }

  /** `c` (rounded to f32) in every lane. */
  f32(c: number): ExpressionRef { return this.bytes(new Float32Array(4).fill(c)); }
  /** `c` in every i32 lane. */
  i32(c: number): ExpressionRef { return this.bytes(new Int32Array(4).fill(c)); }
  /** A scalar i32 shift count. */
  shift(bits: number): ExpressionRef { return this.ctx.mod.i32.const(bits); }

  /** c0 + x*(c1 + x*(c2 + ...)) by Horner's rule. */
  horner(x: Vec, coeffs: readonly number[]): ExpressionRef {
    return coeffs.slice(0, -1).reduceRight(
      (acc, c) => this.f.add(this.f.mul(acc, x()), this.f32(c)), this.f32(coeffs[coeffs.length - 1]!));
  }

  /** Per lane, `ifTrue` where `mask` is all ones, else `ifFalse`. */
  select(mask: ExpressionRef, ifTrue: ExpressionRef, ifFalse: ExpressionRef): ExpressionRef {
    return this.v.bitselect(ifTrue, ifFalse, mask);
  }

  /** `magnitude` with its sign bit replaced by that of `sign`. */
  copySign(magnitude: ExpressionRef, sign: ExpressionRef): ExpressionRef {
    return this.select(this.i32(SIGN_BIT), sign, magnitude);
  }

  /** x clamped to [lo, hi]; NaN stays NaN (f32x4.min/max propagate it). */
  clamp(x: ExpressionRef, lo: number, hi: number): ExpressionRef {
    return this.f.min(this.f.max(x, this.f32(lo)), this.f32(hi));
  }

  private bytes(lanes: Float32Array | Int32Array): ExpressionRef {
    return this.v.const(new Uint8Array(lanes.buffer));
  }
}

/** Builds one approximation's result from its input, held in a local. */
type Kernel = (b: SimdBuilder, x: Vec) => ExpressionRef;

/** Runs a kernel on `x`, evaluated once into a local, and wraps the result in a block. */
function build(ctx: SimdMathContext, x: ExpressionRef, kernel: Kernel): ExpressionRef {
  const b = new SimdBuilder(ctx);
  return b.finish(kernel(b, b.local(x)));
}

const SIGN_BIT = -0x80000000;
const F32_MIN_NORMAL = 2 ** -126;

/**
 * x - n*(p0 + p1 + ...) for a constant split into parts (Cody-Waite): the leading parts have so few
 * bits that n*p is exact, and as x is close to n*p0 the first subtraction is exact too (Sterbenz),
 * so only the small trailing terms round.
 */
function subtractMultiple(b: SimdBuilder, x: ExpressionRef, n: Vec, parts: readonly number[]): ExpressionRef {
  return parts.reduce((acc, part) => b.f.sub(acc, b.f.mul(n(), b.f32(part))), x);
}

// ---- exp and expm1: x = n*ln2 + r with |r| <= ln2/2, then e^x = 2^n * e^r --------------------

const LOG2E = 1.442695;
// Cody-Waite split of ln2: LN2_HI has 9 significant bits, so n*LN2_HI is exact for |n| < 2^15 and
// x - n*LN2_HI is exact (Sterbenz); LN2_LO = ln2 - LN2_HI carries the rest.
const LN2_HI = 0.693359375;
const LN2_LO = -0.00021219444;
// (e^r - 1 - r) / r^2 on |r| <= 0.35; fit error 3.3e-9 relative to e^r.
const EXPM1_POLY = [0.49999994, 0.16666515, 0.041668456, 0.008369424, 0.0013813133];
// Clamping keeps 2^n's exponent in range: e^-104 rounds to 0 and e^89 overflows, as in Math.
const EXP_MIN = -104, EXP_MAX = 89;
// e^-30 - 1 rounds to -1 in f32, and clamping there keeps 2^-n a normal float.
const EXPM1_MIN = -30;

/** n = round(x/ln2) as i32 lanes and the reduced argument r = x - n*ln2, for x clamped to [lo, hi]. */
function reduceExp(b: SimdBuilder, x: Vec, lo: number, hi: number): { n: Vec; r: Vec } {
  const { f } = b;
  const xc = b.local(b.clamp(x(), lo, hi));
  const nf = b.local(f.nearest(f.mul(xc(), b.f32(LOG2E))));
  const r = b.local(subtractMultiple(b, xc(), nf, [LN2_HI, LN2_LO]));
  return { n: b.local(b.i.trunc_sat_f32x4_s(nf())), r };
}

/** e^r - 1 for the reduced r, accurate relative to itself (so also for tiny r). */
function expm1Reduced(b: SimdBuilder, r: Vec): ExpressionRef {
  const { f } = b;
  return f.add(r(), f.mul(f.mul(r(), r()), b.horner(r, EXPM1_POLY)));
}

/** 2^n from the exponent bits, for integer lanes n in [-126, 127]. */
function pow2(b: SimdBuilder, n: ExpressionRef): ExpressionRef {
  return b.i.shl(b.i.add(n, b.i32(127)), b.shift(23));
}

/** v * 2^n for n in [-252, 254], in two exact steps so results may overflow or go denormal. */
function ldexp(b: SimdBuilder, v: ExpressionRef, n: Vec): ExpressionRef {
  const half = b.local(b.i.shr_s(n(), b.shift(1)));
  return b.f.mul(b.f.mul(v, pow2(b, half())), pow2(b, b.i.sub(n(), half())));
}

const expKernel: Kernel = (b, x) => {
  const { n, r } = reduceExp(b, x, EXP_MIN, EXP_MAX);
  return ldexp(b, b.f.add(b.f32(1), expm1Reduced(b, r)), n);
};

// e^x - 1 = 2^n * (expm1(r) + (1 - 2^-n)): no cancellation for n = 0, and little elsewhere.
const expm1Kernel: Kernel = (b, x) => {
  const { n, r } = reduceExp(b, x, EXPM1_MIN, EXP_MAX);
  const oneMinusPow2 = b.f.sub(b.f32(1), pow2(b, b.i.max_s(b.i.neg(n()), b.i32(-126))));
  return ldexp(b, b.f.add(expm1Reduced(b, r), oneMinusPow2), n);
};

// ---- log and log1p: x = 2^e * (1 + m) with 1 + m in [sqrt(1/2), sqrt(2)), log x = e*ln2 + log1p(m)

const ONE_BITS = 0x3f800000;
const SQRT_HALF_BITS = 0x3f3504f3;
const MANTISSA_MASK = 0x007fffff;
// (log1p(m) - m) / m^2 on m in [sqrt(1/2) - 1, sqrt(2) - 1]; fit error 4e-9 relative to log1p(m).
const LOG1P_POLY = [
  -0.49999988, 0.33333325, -0.25001585, 0.20001984, -0.16609, 0.14181581, -0.13243471, 0.12906323,
  -0.07622934];

/**
 * Splits a positive normal v into 2^e * (1 + m) with 1 + m in [sqrt(1/2), sqrt(2)); e comes as
 * f32 lanes. Adding bits(1) - bits(sqrt(1/2)) carries into the exponent field exactly when the
 * mantissa is at least sqrt(2)'s, so no compare is needed. (1 + m) - 1 is exact (Sterbenz).
 */
function splitLogArgument(b: SimdBuilder, v: Vec): { e: ExpressionRef; m: Vec } {
  const { f, i } = b;
  const bits = b.local(i.add(v(), b.i32(ONE_BITS - SQRT_HALF_BITS)));
  const e = f.convert_i32x4_s(i.sub(i.shr_s(bits(), b.shift(23)), b.i32(127)));
  const onePlusM = i.add(b.v.and(bits(), b.i32(MANTISSA_MASK)), b.i32(SQRT_HALF_BITS));
  return { e, m: b.local(f.sub(onePlusM, b.f32(1))) };
}

/**
 * e*ln2 + log1p(m) + correction. The correction (of the size of m^2) joins the polynomial tail
 * before the leading m, and e*ln2 comes last in two parts, so nothing small is rounded away.
 */
function logFromParts(b: SimdBuilder, e: Vec, m: Vec, correction: ExpressionRef | null): ExpressionRef {
  const { f } = b;
  const tail = f.mul(f.mul(m(), m()), b.horner(m, LOG1P_POLY));
  const log1pM = f.add(m(), correction === null ? tail : f.add(tail, correction));
  return f.add(f.add(log1pM, f.mul(e(), b.f32(LN2_LO))), f.mul(e(), b.f32(LN2_HI)));
}

/** Math.log's special values by the argument u: NaN below 0 or for NaN, -inf at 0, inf at inf. */
function logSpecials(b: SimdBuilder, u: Vec, value: ExpressionRef): ExpressionRef {
  const { f } = b;
  const atInf = b.select(f.eq(u(), b.f32(Infinity)), b.f32(Infinity), value);
  const atZero = b.select(f.eq(u(), b.f32(0)), b.f32(-Infinity), atInf);
  return b.select(f.ge(u(), b.f32(0)), atZero, b.f32(NaN));
}

// Denormals are scaled by 2^24 into the normal range, and 24 taken off the exponent.
const logKernel: Kernel = (b, x) => {
  const tiny = b.local(b.f.lt(x(), b.f32(F32_MIN_NORMAL)));
  const v = b.local(b.select(tiny(), b.f.mul(x(), b.f32(2 ** 24)), x()));
  const { e, m } = splitLogArgument(b, v);
  const eUnscaled = b.local(b.f.add(e, b.v.and(tiny(), b.f32(-24))));   // the mask selects -24.0 or 0
  return logSpecials(b, x, logFromParts(b, eUnscaled, m, null));
};

// log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded: the quotient restores what the
// rounding of u lost (exact for tiny x). u is never denormal: it is 0 or at least 2^-24.
const log1pKernel: Kernel = (b, x) => {
  const { f } = b;
  const u = b.local(f.add(b.f32(1), x()));
  const lost = f.div(f.sub(x(), f.sub(u(), b.f32(1))), u());
  const { e, m } = splitLogArgument(b, u);
  return logSpecials(b, u, logFromParts(b, b.local(e), m, lost));
};

// ---- tanh, sigmoid and erf, from exp and expm1 ------------------------------------------------

// tanh|x| = -t / (t + 2) with t = expm1(-2|x|) in (-1, 0]: no overflow, relative accuracy near 0.
const tanhKernel: Kernel = (b, x) => {
  const { f } = b;
  const t = b.local(expm1Kernel(b, b.local(f.mul(f.abs(x()), b.f32(-2)))));
  return b.copySign(f.div(f.neg(t()), f.add(t(), b.f32(2))), x());
};

// 1 / (1 + e^-x): e^-x = inf gives 0 and e^-x = 0 gives 1, so both tails saturate cleanly.
const sigmoidKernel: Kernel = (b, x) =>
  b.f.div(b.f32(1), b.f.add(b.f32(1), expKernel(b, b.local(b.f.neg(x())))));

const ERF_SPLIT = 1;
// erf(x) / x as a polynomial in x^2 on [0, 1]; fit error 3.9e-8 relative.
const ERF_SMALL_POLY = [1.1283791, -0.37612355, 0.112804115, -0.026717708, 0.0049247895, -0.0005660156];
// erfc(x) * e^(x^2) as a polynomial in x - 2.5 on [1, 4]; fit error 1.3e-8 absolute in erf.
const ERFC_SCALED_CENTER = 2.5;
const ERFC_SCALED_POLY = [
  0.21080655, -0.07429971, 0.025157802, -0.0078043393, 0.0019660948, -0.0019623206, -0.00080034655,
  -0.00038888407];
// erfc(4) = 1.5e-8 is below half an ulp of 1, so erf is 1 in f32 from there on.
const ERF_SATURATE = 4;

/** erf(|x|) for |x| < ERF_SPLIT: odd polynomial, accurate relative to the result. */
function erfSmall(b: SimdBuilder, a: Vec): ExpressionRef {
  const a2 = b.local(b.f.mul(a(), a()));
  return b.f.mul(a(), b.horner(a2, ERF_SMALL_POLY));
}

/** erf(|x|) for |x| >= ERF_SPLIT: 1 - e^(-x^2) * erfcx(x), saturating to 1 (also for inf). */
function erfLarge(b: SimdBuilder, a: Vec): ExpressionRef {
  const { f } = b;
  const ac = b.local(f.min(a(), b.f32(ERF_SATURATE)));
  const gauss = expKernel(b, b.local(f.neg(f.mul(ac(), ac()))));
  const scaled = b.horner(b.local(f.sub(ac(), b.f32(ERFC_SCALED_CENTER))), ERFC_SCALED_POLY);
  return f.sub(b.f32(1), f.mul(gauss, scaled));
}

const erfKernel: Kernel = (b, x) => {
  const a = b.local(b.f.abs(x()));
  const erfAbs = b.select(b.f.lt(a(), b.f32(ERF_SPLIT)), erfSmall(b, a), erfLarge(b, a));
  return b.copySign(erfAbs, x());
};

// ---- sin and cos: x = j*pi/2 + r with |r| <= pi/4, then the quadrant j picks +-sin r or +-cos r -

const TWO_OVER_PI = 0.63661975;
// pi/2 in three parts: the first two have 8 significant bits, so j*PIO2_1 and j*PIO2_2 are exact
// and the subtractions are exact for |j| < 2^16 (|x| <~ 1e5). Beyond that the error grows with |x|
// (measured 0.06 at 1e6; by 1e7 the result is noise).
const PIO2_1 = 1.5703125;
const PIO2_2 = 0.0004825592041015625;
const PIO2_3 = 1.2675908e-6;
// The fits cover |r| <= 1.01*pi/4, since rounding j may land r slightly past pi/4. Clamping r there
// keeps results in [-1, 1] for huge |x|, where the reduction is meaningless.
const TRIG_R_MAX = 0.79325217;
// (sin r - r) / r^3 and (cos r - 1) / r^2, as polynomials in r^2; fit errors 4e-9 and 6e-11.
const SIN_POLY = [-0.16666654, 0.008332113, -0.00019508741];
const COS_POLY = [-0.5, 0.04166662, -0.0013886678, 2.4382252e-5];

/** sin r and cos r for |r| <= TRIG_R_MAX. */
function sinCosReduced(b: SimdBuilder, r: Vec): { sinR: ExpressionRef; cosR: ExpressionRef } {
  const { f } = b;
  const z = b.local(f.mul(r(), r()));
  return {
    sinR: f.add(r(), f.mul(f.mul(r(), z()), b.horner(z, SIN_POLY))),
    cosR: f.add(b.f32(1), f.mul(z(), b.horner(z, COS_POLY))),
  };
}

/** The kernel for sin(x + quarterTurns * pi/2). */
function shiftedSine(quarterTurns: number): Kernel {
  return (b, x) => {
    const { f, i } = b;
    const j = b.local(f.nearest(f.mul(x(), b.f32(TWO_OVER_PI))));
    const reduced = subtractMultiple(b, x(), j, [PIO2_1, PIO2_2, PIO2_3]);
    const r = b.local(b.clamp(reduced, -TRIG_R_MAX, TRIG_R_MAX));
    const { sinR, cosR } = sinCosReduced(b, r);
    const q = b.local(i.add(i.trunc_sat_f32x4_s(j()), b.i32(quarterTurns)));
    const odd = i.eq(b.v.and(q(), b.i32(1)), b.i32(1));
    const negate = i.shl(b.v.and(q(), b.i32(2)), b.shift(30));   // quadrants 2 and 3: flip the sign bit
    return b.v.xor(b.select(odd, cosR, sinR), negate);
  };
}

const sinKernel = shiftedSine(0);
const cosKernel = shiftedSine(1);

// ---- the public functions ---------------------------------------------------------------------

/** e^x; exact special values; denormal results are rounded, not flushed. */
export function simdExp(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, expKernel);
}
/** e^x - 1, accurate relative to the result also for tiny x. */
export function simdExpm1(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, expm1Kernel);
}
/** Natural log; log(0) = -inf, log(x < 0) = NaN, denormal inputs handled exactly. */
export function simdLog(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, logKernel);
}
/** log(1 + x), accurate relative to the result also for tiny x. */
export function simdLog1p(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, log1pKernel);
}
/** Hyperbolic tangent; saturates to +-1 with no NaN for infinite x. */
export function simdTanh(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, tanhKernel);
}
/** Logistic sigmoid 1 / (1 + e^-x); saturates to 0 and 1. */
export function simdSigmoid(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, sigmoidKernel);
}
/** Error function; erf(+-inf) = +-1. */
export function simdErf(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, erfKernel);
}
/** Sine: accurate for |x| <= 1e5, in [-1, 1] for any finite x, NaN for inf and NaN. */
export function simdSin(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, sinKernel);
}
/** Cosine: accurate for |x| <= 1e5, in [-1, 1] for any finite x, NaN for inf and NaN. */
export function simdCos(ctx: SimdMathContext, x: ExpressionRef): ExpressionRef {
  return build(ctx, x, cosKernel);
}

/** Every approximation by name, for the lowering table. */
export const simdMath: Record<SimdMathName, SimdMathFn> = {
  exp: simdExp, expm1: simdExpm1, log: simdLog, log1p: simdLog1p, tanh: simdTanh,
  sigmoid: simdSigmoid, erf: simdErf, sin: simdSin, cos: simdCos,
};
