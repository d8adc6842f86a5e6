/**
 * @file Fast f32x4 approximations of exp, expm1, log, log1p, tanh, sigmoid, erf, sin and cos,
 * built as Binaryen expressions. WebAssembly has no transcendental instructions, so the code
 * generator inlines these into its SIMD loops. They use standard SIMD128, plus relaxed-SIMD FMA
 * for the polynomial steps where the module allows it (fma.ts, WasmContext.fma): the bounds below
 * hold with and without it, and with relaxed_madd fused or not (the tests run both ways).
 *
 * They are written for speed within stated error bounds (`simdMathMaxError`, asserted by
 * test/simd-math.test.ts against Math in double rounded to f32). What makes them fast in V8:
 * - No instruction that V8 expands into a long sequence: clamps use f32x4.pmin/pmax (one minps
 *   each; min/max take ~7 instructions for their NaN and -0 rules), and float -> int rounding
 *   adds a magic constant instead of f32x4.nearest + i32x4.trunc_sat (~6 instructions).
 * - One scaling step: e^x = 2^n * e^r, with 2^n read straight out of the magic sum's bits.
 * - tanh, sigmoid and erf are one fraction of 2^n and e^r, so they cost one exp and a division,
 *   and their results stay within [-1, 1] / [0, 1] by construction.
 * - Polynomials pair their terms ((c0 + c1 x) + x^2 (c2 + c3 x) + ...), halving the dependency
 *   chain, which the out-of-order core cannot hide across iterations when it is long.
 * The constants come from locals read once before the loop (FunctionBuilder's f32x4): in a loop
 * each costs a register, or a reload when registers run out, not the instructions that build it.
 *
 * Polynomials are our own minimax fits (a linear program over 6000 Chebyshev nodes, weighted as
 * noted), with coefficients rounded to f32 one at a time, refitting the others after each.
 * Two cheaper paths for denormals: exp flushes denormal results to 0, and log takes denormal
 * arguments as 2^-126. Of the functions with f(-0) = -0, only sin keeps it; expm1, log1p, tanh
 * and erf return +0.
 */
import type { ExpressionRef } from './binaryen.ts';
import { mulAdd, mulSub } from './fma.ts';
import type { FunctionBuilder, Vec } from './function-builder.ts';

/** What an approximation needs from the function being built: locals and splat constants. */
export type SimdMathContext = FunctionBuilder;

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
  /**
   * Inputs x in [lo, hi) that take a documented cheaper path, outside the bound: exp's denormal
   * results and log's denormal arguments. There the result still lies between the function's
   * values at lo and hi.
   */
  shortcut?: [lo: number, hi: number];
}

/**
 * The worst error each approximation guarantees against Math (computed in double, rounded to f32),
 * for every input but sin's and cos's beyond |x| = 1e4 and the denormal shortcuts. Measured on all
 * 2^32 inputs, the largest errors are: exp, log, log1p 1.19e-7 relative (1 ulp), expm1 1.44e-7;
 * tanh, sigmoid 1.19e-7 and erf 2.4e-7 absolute; sin 1.01e-6 and cos 2.9e-7 absolute.
 */
export const simdMathMaxError: Record<SimdMathName, SimdMathErrorBound> = {
  exp: { kind: 'relative', max: 2e-7, shortcut: [-104, -87.33654] },
  expm1: { kind: 'relative', max: 3e-7 },
  log: { kind: 'relative', max: 2e-7, shortcut: [2 ** -149, 2 ** -126] },
  log1p: { kind: 'relative', max: 3e-7 },
  tanh: { kind: 'absolute', max: 1e-6 },
  sigmoid: { kind: 'absolute', max: 1e-6 },
  erf: { kind: 'absolute', max: 1e-6 },
  sin: { kind: 'absolute', max: 2e-6, maxAbsX: 1e4 },
  cos: { kind: 'absolute', max: 2e-6, maxAbsX: 1e4 },
};

/** c0 + x*(c1 + x*(c2 + ...)) by Horner's rule. */
function horner(b: FunctionBuilder, x: Vec, coeffs: readonly number[]): ExpressionRef {
  return coeffs
    .slice(0, -1)
    .reduceRight((acc, c) => mulAdd(b.module, acc, x(), b.f32x4(c)), b.f32x4(coeffs[coeffs.length - 1]!));
}

/**
 * c0 + c1 x + c2 x^2 + ... as (c0 + c1 x) + x^2 ((c2 + c3 x) + x^2 (...)): the pairs are
 * independent, so the dependency chain is half as long as Horner's.
 */
function pairedHorner(b: FunctionBuilder, x: Vec, x2: Vec, coeffs: readonly number[]): ExpressionRef {
  const pairs: ExpressionRef[] = [];
  for (let k = 0; k < coeffs.length; k += 2) {
    const [c0, c1] = [coeffs[k]!, coeffs[k + 1]];
    pairs.push(c1 === undefined ? b.f32x4(c0) : mulAdd(b.module, x(), b.f32x4(c1), b.f32x4(c0)));
  }
  return pairs.slice(0, -1).reduceRight((acc, pair) => mulAdd(b.module, acc, x2(), pair), pairs[pairs.length - 1]!);
}

/** x clamped to [lo, hi] with one minps and one maxps; NaN stays NaN, as x is the first operand. */
function clamp(b: FunctionBuilder, x: ExpressionRef, lo: number, hi: number): ExpressionRef {
  const f = b.mod.f32x4;
  return f.pmax(f.pmin(x, b.f32x4(hi)), b.f32x4(lo));
}

/** Builds one approximation's result from its input, held in a local (`b.hold` keeps more). */
type Kernel = (b: FunctionBuilder, x: Vec) => ExpressionRef;

/** Runs a kernel on `x`, evaluated once into a local, as one value block. */
function build(b: FunctionBuilder, x: ExpressionRef, kernel: Kernel): ExpressionRef {
  return b.valueBlock(b.binaryen.v128, () => kernel(b, b.hold(x)));
}

// ---- rounding to an integer and building 2^n ----------------------------------------------------

/**
 * Adding MAGIC = 1.5 * 2^23 to y in [-2^22, 2^22] rounds it to the nearest integer n (the sum's
 * ulp is 1) and leaves n + 0x400000 in the low mantissa bits; subtracting MAGIC gives n exactly as
 * a float. With `bias` added to MAGIC the low bits hold n + bias, so for n + bias in [0, 255],
 * shifting the sum's bits left by 23 leaves exactly the f32 2^(n + bias - 127): exponent field
 * n + bias, while the bits above (MAGIC's own) fall off the top. Field 0 is the float 0 and field
 * 255 is infinity, which the kernels use to flush and to overflow.
 */
const MAGIC = 1.5 * 2 ** 23;

/** n = round(y) as a float, and the magic sum whose bits give 2^(n + bias - 127). */
function roundWithPow2(b: FunctionBuilder, y: ExpressionRef, bias: number): { n: Vec; sum: Vec } {
  const sum = b.hold(b.mod.f32x4.add(y, b.f32x4(MAGIC + bias)));
  return { n: b.hold(b.mod.f32x4.sub(sum(), b.f32x4(MAGIC + bias))), sum };
}

/** 2^(n + bias - 127) from the magic sum of `roundWithPow2`. */
function pow2(b: FunctionBuilder, sum: Vec): ExpressionRef {
  return b.mod.i32x4.shl(sum(), b.i32(23));
}

// ---- exp and expm1: x = n*ln2 + r, then e^x = 2^n * e^r ---------------------------------------

const LOG2E = Math.LOG2E;
// Cody-Waite split of ln2: LN2_HI has 9 significant bits, so n*LN2_HI is exact for |n| < 2^15 and
// x - n*LN2_HI is exact (Sterbenz); LN2_LO = ln2 - LN2_HI carries the rest.
const LN2_HI = 0.693359375;
const LN2_LO = -0.00021219444;
// (e^r - 1 - r) / r^2 on [0, ln2] (exp rounds n down); fit error 2.9e-9 relative to e^r.
const EXP_POLY = [0.50000226, 0.1666321, 0.04185437, 0.0078692734, 0.0019120649];
// (e^r - 1 - r) / r^2 on |r| <= ln2/2 (n rounded to nearest), one term shorter, for tanh, sigmoid
// and erf, whose absolute error is at most half the relative error of e^r; fit error 1.05e-7.
const EXP_POLY_SHORT = [0.49999231, 0.16667113, 0.041890185, 0.008312678];
// (e^r - 1 - r) / r^2 on |r| <= ln2/2, fitted relative to e^r - 1 for expm1; fit error 1.4e-8.
const EXPM1_POLY = [0.49999997, 0.16666546, 0.041667443, 0.0083662532, 0.0013869948];
// exp's clamp keeps n = floor(x/ln2) in [-127, 128]. With e^r in [1, 2), the normal results are
// exactly those with n in [-126, 127]; n = -127 gives 2^n = 0, flushing the denormal results
// (x < -87.34) to zero, and n = 128 gives infinity, from x = 128*ln2 = 88.72 as for Math.exp.
const EXP_MIN = -88,
  EXP_MAX = 89;

/** e^r - 1 for the reduced r by `coeffs` (of (e^r - 1 - r) / r^2), accurate relative to itself. */
function expm1Reduced(b: FunctionBuilder, r: Vec, coeffs: readonly number[]): ExpressionRef {
  const r2 = b.hold(b.mod.f32x4.mul(r(), r()));
  return mulAdd(b.module, r2(), pairedHorner(b, r, r2, coeffs), r());
}

/**
 * x - n*ln2 in two parts, exact but for the last rounding. n*LN2_HI is exact, so fusing its
 * subtraction changes nothing; fusing the second only drops the rounding of n*LN2_LO.
 */
function reduceLn2(b: FunctionBuilder, x: Vec, n: Vec): ExpressionRef {
  const hi = mulSub(b.module, n(), b.f32x4(LN2_HI), x());
  return mulSub(b.module, n(), b.f32x4(LN2_LO), hi);
}

// floor (one roundps) costs an instruction more than rounding by the magic sum alone, but
// rounding to nearest would need n = 128 for some finite results, where 2^n is infinite.
const expKernel: Kernel = (b, x) => {
  const f = b.mod.f32x4;
  const xc = b.hold(clamp(b, x(), EXP_MIN, EXP_MAX));
  const n = b.hold(f.floor(f.mul(xc(), b.f32x4(LOG2E))));
  const sum = b.hold(f.add(n(), b.f32x4(MAGIC + 127))); // exact: n is an integer
  const r = b.hold(reduceLn2(b, xc, n));
  return f.mul(f.add(b.f32x4(1), expm1Reduced(b, r, EXP_POLY)), pow2(b, sum));
};

// expm1's clamp: e^-18 - 1 rounds to -1, and n stays in [-26, 128] (see below).
const EXPM1_MIN = -18;

// e^x - 1 = 2 * (h*expm1(r) + (h - 1/2)) with h = 2^(n-1): exact for n = 0, no cancellation to
// speak of elsewhere, and halving keeps h finite up to n = 128, so the last doubling overflows
// exactly when e^x does.
const expm1Kernel: Kernel = (b, x) => {
  const f = b.mod.f32x4;
  const xc = b.hold(clamp(b, x(), EXPM1_MIN, EXP_MAX));
  const { n, sum } = roundWithPow2(b, f.mul(xc(), b.f32x4(LOG2E)), 126);
  const r = b.hold(reduceLn2(b, xc, n));
  const h = b.hold(pow2(b, sum));
  const half = b.hold(f.add(f.mul(h(), expm1Reduced(b, r, EXPM1_POLY)), f.sub(h(), b.f32x4(0.5))));
  return f.add(half(), half());
};

// ---- tanh, sigmoid and erf: fractions of 2^n and e^r ----------------------------------------

/** EXP_POLY_SHORT at -r as a polynomial in r: its odd coefficients negated (exact). */
const EXP_POLY_SHORT_OF_NEG = EXP_POLY_SHORT.map((c, k) => (k % 2 ? -c : c));

/**
 * For w = n*ln2 + r (n = round(w/ln2), w in [-127*ln2, 127*ln2]): 2^n and e^-r. As e^w = 2^n / e^-r,
 * tanh(w/2) = (2^n - e^-r) / (2^n + e^-r) and 1/(1 + e^-w) = 2^n / (2^n + e^-r), which stay in
 * [-1, 1] and [0, 1] by construction. r = w - n*ln2 rounds once; as these bounds are absolute,
 * that and the shorter polynomial cost little: tanh's error is (1 - tanh^2)/2 times the relative
 * error of e^-r, sigmoid's sigmoid*(1 - sigmoid) times it, both small where n*ln2 is large.
 */
function pow2AndExpNegR(b: FunctionBuilder, w: Vec): { pow2n: Vec; expNegR: Vec } {
  const f = b.mod.f32x4;
  const { n, sum } = roundWithPow2(b, f.mul(w(), b.f32x4(LOG2E)), 127);
  // r = w - n*ln2 is one fused multiply-subtract where `fma`; e^-r = (1 - r) + r^2 P(-r).
  const r = b.hold(mulSub(b.module, n(), b.f32x4(Math.LN2), w()));
  const r2 = b.hold(f.mul(r(), r()));
  const poly = pairedHorner(b, r, r2, EXP_POLY_SHORT_OF_NEG);
  return { pow2n: b.hold(pow2(b, sum)), expNegR: b.hold(mulAdd(b.module, r2(), poly, f.sub(b.f32x4(1), r()))) };
}

/**
 * pow2AndExpNegR from -w, for callers that get it as cheaply as w: n = round(-w * -log2e) is the
 * same n, and -r = n*ln2 + (-w) is one fused multiply-add (one rounding, not two) where `fma`.
 */
function pow2AndExpNegRFromNegW(b: FunctionBuilder, negW: Vec): { pow2n: Vec; expNegR: Vec } {
  const { n, sum } = roundWithPow2(b, b.mod.f32x4.mul(negW(), b.f32x4(-LOG2E)), 127);
  return fromNegR(b, sum, b.hold(mulAdd(b.module, n(), b.f32x4(Math.LN2), negW())));
}

function fromNegR(b: FunctionBuilder, sum: Vec, negR: Vec): { pow2n: Vec; expNegR: Vec } {
  const f = b.mod.f32x4;
  const expNegR = b.hold(f.add(b.f32x4(1), expm1Reduced(b, negR, EXP_POLY_SHORT)));
  return { pow2n: b.hold(pow2(b, sum)), expNegR };
}

// tanh(9.1) rounds to 1 in f32 (also as computed); clamping there keeps 2^n small.
const TANH_SATURATE = 9.1;

/** tanh(w/2) = (2^n - e^-r) / (2^n + e^-r) for w = n*ln2 + r, |w| <= 88, from -w. */
function tanhHalf(b: FunctionBuilder, negW: Vec): ExpressionRef {
  const { pow2n, expNegR } = pow2AndExpNegRFromNegW(b, negW);
  return b.mod.f32x4.div(b.mod.f32x4.sub(pow2n(), expNegR()), b.mod.f32x4.add(pow2n(), expNegR()));
}

// tanh(x) is tanhHalf at w = 2x, reduced on x itself: s = x - n*ln2/2 = r/2 (the same n, as
// f32(2*log2e) = 2*f32(log2e)), and e^-r = e^-2s = 1 - 2s + s^2 Q(s) with Q(s) = 4 P(-2s), whose
// coefficients are EXP_POLY_SHORT's times powers of two (exact). That trades the product -2x for
// an addition (s + s): multiplications are what elementwise loops run out of first.
// Computing on x rather than on |x| and putting the sign back saves two instructions; the price is
// tanh(-0) = +0.
const EXP_NEG_2S_POLY = EXP_POLY_SHORT.map((c, k) => c * 4 * (-2) ** k);
const tanhKernel: Kernel = (b, x) => {
  const f = b.mod.f32x4;
  const xc = b.hold(clamp(b, x(), -TANH_SATURATE, TANH_SATURATE));
  const { n, sum } = roundWithPow2(b, f.mul(xc(), b.f32x4(2 * LOG2E)), 127);
  const s = b.hold(mulSub(b.module, n(), b.f32x4(Math.LN2 / 2), xc()));
  const s2 = b.hold(f.mul(s(), s()));
  const oneMinus2s = f.sub(b.f32x4(1), f.add(s(), s()));
  const expNegR = b.hold(mulAdd(b.module, s2(), pairedHorner(b, s, s2, EXP_NEG_2S_POLY), oneMinus2s));
  const pow2n = b.hold(pow2(b, sum));
  return f.div(f.sub(pow2n(), expNegR()), f.add(pow2n(), expNegR()));
};

// At x = -88, n = -127 and 2^n = 0, so sigmoid is exactly 0 from there down (from -87.7 in
// fact; the true values are denormals); at 88 it is 1.
const SIGMOID_MIN = -88,
  SIGMOID_MAX = 88;

// 1 / (1 + e^-x) = 2^n / (2^n + e^-r) with x = n*ln2 + r.
const sigmoidKernel: Kernel = (b, x) => {
  const xc = b.hold(clamp(b, x(), SIGMOID_MIN, SIGMOID_MAX));
  const { pow2n, expNegR } = pow2AndExpNegR(b, xc);
  return b.mod.f32x4.div(pow2n(), b.mod.f32x4.add(pow2n(), expNegR()));
};

// erf(x) = tanh(y/2) with y = log((1 + erf x) / erfc x), which is smooth and odd, and fitted as
// x*P(x^2) on [0, 4], weighted by tanh's slope there; fit error 5.8e-8 in erf.
const ERF_Y_POLY = [2.2567594, 0.205531, -0.00036883683, -0.001251388, 0.00017940802, -1.1968797e-5, 3.1777995e-7];
// tanhHalf takes -y: the same polynomial negated, exactly.
const NEG_ERF_Y_POLY = ERF_Y_POLY.map((c) => -c);
// erf(4) = 1 - 1.5e-8 rounds to 1, and so does the computed tanh(y(4)/2).
const ERF_SATURATE = 4;

// As for tanh, erf(-0) = +0.
const erfKernel: Kernel = (b, x) => {
  const f = b.mod.f32x4;
  const xc = b.hold(clamp(b, x(), -ERF_SATURATE, ERF_SATURATE));
  const x2 = b.hold(f.mul(xc(), xc()));
  const x4 = b.hold(f.mul(x2(), x2()));
  return tanhHalf(b, b.hold(f.mul(xc(), pairedHorner(b, x2, x4, NEG_ERF_Y_POLY))));
};

// ---- log and log1p: x = 2^e * (1 + m) with 1 + m in [sqrt(1/2), sqrt(2)), log x = e*ln2 + log1p(m)

const ONE_BITS = 0x3f800000;
const SQRT_HALF_BITS = 0x3f3504f3;
const MANTISSA_MASK = 0x007fffff;
const F32_MIN_NORMAL = 2 ** -126;
const F32_MAX = 3.4028234663852886e38;
// log1p(m) = 2 atanh(s) with s = m / (2 + m), |s| <= 0.1716, written as m - s*(m - R(s^2)) where
// R(z) = (2 atanh(s) - 2s) / s = z*(c1 + c2 z + c3 z^2). The leading m is exact and the rounding
// of s only touches a term of size m^2/2. Fit error 8e-10 relative to log1p(m).
const LOG_ATANH_POLY = [0.66666776, 0.39977583, 0.298708];

/**
 * Splits a positive normal v into 2^e * (1 + m) with 1 + m in [sqrt(1/2), sqrt(2)); e comes as
 * f32 lanes. Adding bits(1) - bits(sqrt(1/2)) carries into the exponent field exactly when the
 * mantissa is at least sqrt(2)'s, so no compare is needed. (1 + m) - 1 is exact (Sterbenz).
 */
function splitLogArgument(b: FunctionBuilder, v: ExpressionRef): { e: Vec; m: Vec; onePlusM: Vec } {
  const { f32x4: f, i32x4: i } = b.mod;
  const bits = b.hold(i.add(v, b.i32x4(ONE_BITS - SQRT_HALF_BITS)));
  const e = b.hold(f.convert_i32x4_s(i.sub(i.shr_s(bits(), b.i32(23)), b.i32x4(127))));
  const onePlusM = b.hold(i.add(b.mod.v128.and(bits(), b.i32x4(MANTISSA_MASK)), b.i32x4(SQRT_HALF_BITS)));
  return { e, m: b.hold(f.sub(onePlusM(), b.f32x4(1))), onePlusM };
}

/**
 * e*ln2 + log1p(m) + correction. The small terms are summed first, then m, then e*LN2_HI (exact),
 * so nothing small is rounded away.
 */
function logFromParts(
  b: FunctionBuilder,
  e: Vec,
  m: Vec,
  onePlusM: Vec,
  correction: ExpressionRef | null,
): ExpressionRef {
  const f = b.mod.f32x4;
  const s = b.hold(f.div(m(), f.add(onePlusM(), b.f32x4(1))));
  const z = b.hold(f.mul(s(), s()));
  const r = f.mul(z(), horner(b, z, LOG_ATANH_POLY));
  let small = f.sub(f.mul(e(), b.f32x4(LN2_LO)), f.mul(s(), f.sub(m(), r)));
  if (correction !== null) small = f.add(small, correction);
  return f.add(f.add(m(), small), f.mul(e(), b.f32x4(LN2_HI)));
}

/**
 * Math.log's special values by the argument u, given the value computed from max(u, 2^-126):
 * NaN below 0 or for NaN, -inf at 0, inf at inf. Each is one compare or subtraction and an
 * arithmetic or bitwise merge, not a select.
 */
function logSpecials(b: FunctionBuilder, u: Vec, value: ExpressionRef): ExpressionRef {
  const { f32x4: f, v128: v } = b.mod;
  // u - F32_MAX is below any log for finite u, and is inf for inf and NaN for NaN; pmax keeps it
  // then, as it keeps its first operand unless that is less than the second.
  const withInf = f.pmax(f.sub(u(), b.f32x4(F32_MAX)), value);
  // the mask selects -inf or +0 to add
  const withZero = f.add(withInf, v.and(f.eq(u(), b.f32x4(0)), b.f32x4(-Infinity)));
  return v.or(withZero, f.lt(u(), b.f32x4(0))); // an all-ones lane is a NaN
}

// Denormal x (and zeros and negatives, whose results logSpecials replaces) are taken as 2^-126.
const logKernel: Kernel = (b, x) => {
  const { e, m, onePlusM } = splitLogArgument(b, b.mod.f32x4.pmax(x(), b.f32x4(F32_MIN_NORMAL)));
  return logSpecials(b, x, logFromParts(b, e, m, onePlusM, null));
};

// log1p(x) = log(u) + (x - (u - 1)) / u with u = 1 + x rounded: the quotient restores what the
// rounding of u lost (exact for tiny x). u is never denormal: it is 0 or at least 2^-24.
const log1pKernel: Kernel = (b, x) => {
  const f = b.mod.f32x4;
  const u = b.hold(f.add(b.f32x4(1), x()));
  const lost = f.div(f.sub(x(), f.sub(u(), b.f32x4(1))), u());
  const { e, m, onePlusM } = splitLogArgument(b, f.pmax(u(), b.f32x4(F32_MIN_NORMAL)));
  return logSpecials(b, u, logFromParts(b, e, m, onePlusM, lost));
};

// ---- sin and cos: x = j*pi + r with |r| <= pi/2, then sin x = (-1)^j sin r, cos x = (-1)^j cos r

const INV_PI = 1 / Math.PI;
// pi in two parts: PI_HI has 8 significant bits, so j*PI_HI is exact and x - j*PI_HI is exact
// (Sterbenz) for |j| < 2^16; PI_LO = pi - PI_HI carries the rest, and j*PI_LO rounds by at most
// 1.2e-7 for |x| <= 1e4 (the error then grows with |x|: about 2e-6 at 1e5).
const PI_HI = 3.140625;
const PI_LO = 9.67653589793e-4;
// |r| exceeds pi/2 by at most ~4e-4 (x/pi rounds before j does) for |x| <= 1e4. For huge x the
// reduction is noise; clamping r keeps the results in [-1, 1] (and inf still gives NaN).
const TRIG_R_MAX = 1.5718;
// (sin r - r) / r^3 and (cos r - 1) / r^2 as polynomials in r^2 on |r| <= TRIG_R_MAX; fit errors
// 8.8e-7 and 5.4e-8 absolute, below 1 in magnitude there.
const SIN_POLY = [-0.16665678, 0.0083123175, -0.00018490605];
const COS_POLY = [-0.49999931, 0.041663963, -0.0013855709, 2.3189034e-5];

/** j = round(x/pi) and r = x - j*pi; the magic sum's lowest bit is j's parity. */
function reducePi(b: FunctionBuilder, x: Vec): { r: Vec; sum: Vec } {
  const f = b.mod.f32x4;
  const { n: j, sum } = roundWithPow2(b, f.mul(x(), b.f32x4(INV_PI)), 0);
  const r = f.sub(f.sub(x(), f.mul(j(), b.f32x4(PI_HI))), f.mul(j(), b.f32x4(PI_LO)));
  return { r: b.hold(clamp(b, r, -TRIG_R_MAX, TRIG_R_MAX)), sum };
}

/** `value` negated where j is odd: j's parity bit moved to the sign bit. */
function flipOnOddJ(b: FunctionBuilder, value: ExpressionRef, sum: Vec): ExpressionRef {
  return b.mod.v128.xor(value, b.mod.i32x4.shl(sum(), b.i32(31)));
}

// sin r = r * (1 + r^2 P(r^2)) rather than r + r^3 P(r^2): as costly, a little less accurate (the
// bound is absolute), but -0 stays -0.
const sinKernel: Kernel = (b, x) => {
  const f = b.mod.f32x4;
  const { r, sum } = reducePi(b, x);
  const z = b.hold(f.mul(r(), r()));
  const sinR = f.mul(r(), mulAdd(b.module, z(), horner(b, z, SIN_POLY), b.f32x4(1)));
  return flipOnOddJ(b, sinR, sum);
};

const cosKernel: Kernel = (b, x) => {
  const f = b.mod.f32x4;
  const { r, sum } = reducePi(b, x);
  const z = b.hold(f.mul(r(), r()));
  const cosR = mulAdd(b.module, z(), horner(b, z, COS_POLY), b.f32x4(1));
  return flipOnOddJ(b, cosR, sum);
};

// ---- the public table ---------------------------------------------------------------------------

/** The kernel of each approximation; `simdMath` wraps each in `build`. */
const KERNELS: Record<SimdMathName, Kernel> = {
  /** e^x; exact special values; results below 2^-126 flush to 0. */
  exp: expKernel,
  /** e^x - 1, accurate relative to the result also for tiny x. */
  expm1: expm1Kernel,
  /** Natural log; log(0) = -inf, log(x < 0) = NaN; denormal x count as 2^-126. */
  log: logKernel,
  /** log(1 + x), accurate relative to the result also for tiny x. */
  log1p: log1pKernel,
  /** Hyperbolic tangent, in [-1, 1]; saturates to +-1 with no NaN for infinite x. */
  tanh: tanhKernel,
  /** Logistic sigmoid 1 / (1 + e^-x), in [0, 1]; exactly 0 for x <= -88 and 1 for large x. */
  sigmoid: sigmoidKernel,
  /** Error function, in [-1, 1]; erf(+-inf) = +-1. */
  erf: erfKernel,
  /** Sine: accurate for |x| <= 1e4, in [-1, 1] for any finite x, NaN for inf and NaN. */
  sin: sinKernel,
  /** Cosine: accurate for |x| <= 1e4, in [-1, 1] for any finite x, NaN for inf and NaN. */
  cos: cosKernel,
};

/** Every approximation by name, for the lowering table. */
export const simdMath = Object.fromEntries(
  Object.entries(KERNELS).map(([name, kernel]) => [
    name,
    (ctx: SimdMathContext, x: ExpressionRef) => build(ctx, x, kernel),
  ]),
) as Record<SimdMathName, SimdMathFn>;
