/**
 * @file The fuzzer's error model: an eager interpreter that perturbs the result of every op the
 * Wasm backend computes differently from eager, by at least as much as the backend may differ.
 *
 * Most ops are bit-identical between eager (double precision, rounded to f32 once) and Wasm (f32):
 * +, -, *, /, sqrt and conversions are correctly rounded in both, pow and mod call the same
 * JavaScript helper, and selections, comparisons and layout ops move values unchanged. What
 * differs is the polynomial approximations (exp, log, tanh, ...), reassociated sums (sum, prod,
 * matmul) and a few ops evaluated with different roundings (rsqrt, gelu, softplus, leakyRelu).
 * Running a program with those results perturbed shows how far each output moves when they do:
 * that spread scales the tolerance, and an output whose NaN/Inf status or discrete value flips
 * under the perturbation is ill-conditioned and not compared.
 */
import {
  eagerInterpreter,
  makeTensor,
  unaryScalar,
  type Interpreter,
  type BinaryOp,
  type OpAttrs,
  type OpName,
  type Tensor,
  type UnaryOp,
  type Variable,
} from '../../src/index.ts';
import { simdMathMaxError, type SimdMathName } from '@kiln-jit/codegen-wasm';

/** The unit roundoff of f32. */
const U = 2 ** -24;

/**
 * |wasm - eager| <= rel·|y| + abs + absX·|x| for one element (x the op's first input), where
 * |x| <= maxX; beyond, the result is undetermined (sin and cos of huge arguments). For x in a
 * documented shortcut range, the result may be off by up to `shortcut.width`.
 */
interface ErrorBound {
  rel: number;
  abs: number;
  absX: number;
  maxX: number;
  shortcut?: { lo: number; hi: number; width: number };
}

const bound = (rel: number, abs = 0, absX = 0, maxX = Infinity): ErrorBound => ({ rel, abs, absX, maxX });

/** simd-math's own guarantee for `name` (plus our rounding of the result to f32). */
function simdBound(name: SimdMathName): ErrorBound {
  const e = simdMathMaxError[name];
  const b = e.kind === 'relative' ? bound(e.max + U) : bound(U, e.max, 0, e.maxAbsX);
  if (!e.shortcut) return b;
  const [lo, hi] = e.shortcut;
  const f = (x: number): number => (unaryScalar[name] as (x: number, attrs: object) => number)(x, {});
  return { ...b, shortcut: { lo, hi, width: Math.abs(f(hi) - f(lo)) } };
}

/** simd-math's bound for `name` as an absolute error on values of size <= 1. */
const unitError = (name: SimdMathName): number => simdMathMaxError[name].max;

/**
 * How Wasm computes each elementwise op's f32 result relative to eager: bit-identical ('exact'),
 * correctly rounded ('rounds': bit-identical for identical operands, but an operand that already
 * differs can make the rounding differ too, by up to an ulp), or within a bound. Typed over the
 * op set, so a new op needs a decision here.
 */
type ErrorModel = ErrorBound | 'exact' | 'rounds';

const UNARY_MODEL: { readonly [K in UnaryOp]: ErrorModel } = {
  neg: 'exact',
  abs: 'exact',
  sign: 'exact',
  exp: simdBound('exp'),
  log: simdBound('log'),
  log1p: simdBound('log1p'),
  expm1: simdBound('expm1'),
  sqrt: 'rounds',
  // 1 / sqrt(x) rounds twice.
  rsqrt: bound(3 * U),
  square: 'rounds',
  reciprocal: 'rounds',
  sin: simdBound('sin'),
  cos: simdBound('cos'),
  tanh: simdBound('tanh'),
  sigmoid: simdBound('sigmoid'),
  relu: 'exact',
  // x * f32(alpha) rounds alpha first.
  leakyRelu: bound(3 * U),
  // x/2 · (1 + tanh or erf), and max(x, 0) + log1p(exp(-|x|)), each with a few f32 roundings.
  gelu: bound(8 * U, 0, Math.max(unitError('tanh'), unitError('erf')) / 2 + 4 * U),
  erf: simdBound('erf'),
  softplus: bound(8 * U, unitError('exp') + unitError('log1p')),
  // x · sigmoid(x): sigmoid's absolute error scaled by |x|, and the product's rounding.
  silu: bound(2 * U, 0, unitError('sigmoid') + U),
  // (x + 3) and the division each round once in f32; eager rounds (x + 3) / 6 once.
  hardSigmoid: bound(3 * U),
  floor: 'exact',
  ceil: 'exact',
  round: 'exact',
  logicalNot: 'exact',
  stopGradient: 'exact',
};

// pow and mod call the same JavaScript helper as eager; max, min, comparisons and logic select.
const BINARY_MODEL: { readonly [K in BinaryOp]: 'exact' | 'rounds' } = {
  add: 'rounds',
  sub: 'rounds',
  mul: 'rounds',
  div: 'rounds',
  pow: 'rounds',
  maximum: 'exact',
  minimum: 'exact',
  mod: 'exact',
  equal: 'exact',
  notEqual: 'exact',
  less: 'exact',
  lessEqual: 'exact',
  greater: 'exact',
  greaterEqual: 'exact',
  logicalAnd: 'exact',
  logicalOr: 'exact',
};

/** The error model of an elementwise op (selections, casts and layout ops move values unchanged). */
function modelOf(op: OpName): ErrorModel {
  if (Object.hasOwn(UNARY_MODEL, op)) return UNARY_MODEL[op as UnaryOp];
  if (Object.hasOwn(BINARY_MODEL, op)) return BINARY_MODEL[op as BinaryOp];
  return 'exact';
}

const ROUNDING: ErrorBound = bound(U);

/** Ops that may return +0 for -0 in Wasm (simd-math says which keep it; we assume none does). */
const LOSES_NEGATIVE_ZERO: ReadonlySet<OpName> = new Set<UnaryOp>(['expm1', 'log1p', 'tanh', 'erf', 'sin']);

/** Relative error of a K-term f32 sum in any order, as a fraction of the sum of |terms|. */
const sumError = (k: number): number => 2 * U * (1 + Math.sqrt(k));

/**
 * A number in ±[0.5, 1] hashed from (salt, op, call, element): runs that make the same calls
 * (every run of one program does) move the same element of the same call the same way.
 */
function unitNoise(salt: number, op: string, call: number, index: number): number {
  let h = Math.imul(salt ^ 0x9e3779b9, 0x85ebca6b) ^ index;
  for (let i = 0; i < op.length; i++) h = Math.imul(h ^ op.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ call, 0xcc9e2d51);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  const r = (h >>> 1) / 2 ** 31;
  return (h & 1 ? -1 : 1) * (0.5 + 0.5 * r);
}

/** The smallest k <= 24 with every finite element a multiple of 2^-k, or null. */
function fractionBits(data: ArrayLike<number>): number | null {
  let bits = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) continue;
    while (bits <= 24 && !Number.isInteger(v * 2 ** bits)) bits++;
    if (bits > 24) return null;
  }
  return bits;
}

/** |x| with non-finite elements as 0: the size of the finite terms a reduction adds. */
function finiteMagnitude(t: Tensor): Tensor {
  return makeTensor(
    t.shape,
    'f32',
    Float32Array.from(t.dataSync(), (v) => (Number.isFinite(v) ? Math.abs(v) : 0)),
  );
}

/**
 * Per-element absolute error scale of a reduction in Wasm, or null when the result is exact in
 * any order (terms on a grid whose partial sums stay within f32's 24 bits). Where the finite
 * terms add up beyond f32's range, Wasm's f32 sum may overflow where eager's double sum does
 * not: undetermined.
 */
function reductionScale(
  op: 'sum' | 'matmul',
  inputs: readonly Tensor[],
  attrs: OpAttrs['sum'] | OpAttrs['matmul'],
): Float32Array | null {
  const magnitudes = inputs.map(finiteMagnitude);
  let scale: Tensor;
  let terms: number;
  let bits: number | null;
  if (op === 'sum') {
    const { axes } = attrs as OpAttrs['sum'];
    scale = eagerInterpreter.apply('sum', magnitudes, attrs as OpAttrs['sum']);
    terms = axes.reduce((n, a) => n * inputs[0]!.shape[a]!, 1);
    bits = fractionBits(inputs[0]!.dataSync());
  } else {
    const { transposeA } = attrs as OpAttrs['matmul'];
    scale = eagerInterpreter.apply('matmul', magnitudes, attrs as OpAttrs['matmul']);
    terms = inputs[0]!.shape.at(transposeA ? -2 : -1)!;
    const [ba, bb] = inputs.map((t) => fractionBits(t.dataSync())) as [number | null, number | null];
    bits = ba === null || bb === null ? null : ba + bb;
  }
  const s = scale.dataSync() as Float32Array;
  if (bits !== null && s.every((v) => v * 2 ** bits! <= 2 ** 24)) return null;
  const e = sumError(terms);
  return s.map((v) => (Number.isFinite(v) ? v * e : NaN));
}

/**
 * Per-element error scale of prod: relative, one rounding per term; undetermined where the
 * finite factors could overflow or underflow an f32 partial product (eager's are doubles).
 */
function productScale(x: Tensor, attrs: OpAttrs['prod'], y: Tensor): Float32Array {
  const terms = attrs.axes.reduce((n, a) => n * x.shape[a]!, 1);
  const factors = (keep: (m: number) => boolean): Float32Array => {
    const t = makeTensor(
      x.shape,
      'f32',
      Float32Array.from(x.dataSync(), (v) => (Number.isFinite(v) && keep(Math.abs(v)) ? Math.abs(v) : 1)),
    );
    return eagerInterpreter.apply('prod', [t], attrs).dataSync() as Float32Array;
  };
  const large = factors((m) => m >= 1);
  const small = factors((m) => m > 0 && m < 1);
  return Float32Array.from(y.dataSync(), (v, i) =>
    large[i] === Infinity || small[i]! < 2 ** -126 ? NaN : 2 * U * (terms + 1) * Math.abs(v),
  );
}

/** Absolute error scale of each element of `op`'s f32 output in Wasm (NaN: undetermined), or null if it is exact. */
function errorScale<K extends OpName>(
  op: K,
  inputs: readonly Tensor[],
  attrs: OpAttrs[K],
  y: Tensor,
): Float32Array | null {
  if (op === 'sum' || op === 'matmul') return reductionScale(op, inputs, attrs as OpAttrs['sum']);
  if (op === 'prod') return productScale(inputs[0]!, attrs as OpAttrs['prod'], y);
  const model = modelOf(op);
  return typeof model === 'object' ? elementwiseScale(model, inputs, y) : null;
}

function elementwiseScale(b: ErrorBound, inputs: readonly Tensor[], y: Tensor): Float32Array {
  const xs = inputs[0]!.dataSync();
  const same = xs.length === y.size;
  const cut = b.shortcut;
  return Float32Array.from(y.dataSync(), (v, i) => {
    const x = same ? xs[i]! : 0;
    if (Math.abs(x) > b.maxX) return NaN;
    const shortcut = cut && x >= cut.lo && x < cut.hi ? cut.width : 0;
    // A non-finite x gives a non-finite result, which is never perturbed.
    return b.rel * Math.abs(v) + b.abs + (Number.isFinite(x) ? b.absX * Math.abs(x) : 0) + shortcut;
  });
}

/**
 * Eager execution with perturbed results: each inexact f32 result moves by `safety` times its
 * error scale, in a direction hashed from (salt, op, call, element); `sign` -1 mirrors a run.
 * Results computed from perturbed values are "tainted": rounding ops then move them by an ulp too.
 * Undetermined results become +1 or -1 (by `sign`). A run at the `extreme` of the error model
 * instead takes results the error may reach zero with to zero ('zero') or across it ('flip'), and
 * undetermined ones to NaN.
 */
export class NoisyInterpreter implements Interpreter {
  private readonly tainted = new WeakSet<Tensor>();
  private calls = 0;

  constructor(
    private readonly salt: number,
    private readonly sign: 1 | -1,
    private readonly extreme: 'zero' | 'flip' | null = null,
    private readonly safety = 2,
  ) {}

  apply<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
    const call = this.calls++;
    const y = eagerInterpreter.apply(op, inputs, attrs);
    const taintedInput = inputs.some((t) => this.tainted.has(t));
    if (y.dtype !== 'f32') return this.mark(y, taintedInput);
    const scale =
      errorScale(op, inputs, attrs, y) ??
      (taintedInput && modelOf(op) === 'rounds' ? elementwiseScale(ROUNDING, inputs, y) : null);
    const flipZero = LOSES_NEGATIVE_ZERO.has(op);
    if (!scale && !flipZero) return this.mark(y, taintedInput);
    const ys = y.dataSync();
    const out = new Float32Array(ys);
    for (let i = 0; i < out.length; i++)
      out[i] = this.perturb(out[i]!, scale?.[i] ?? 0, flipZero, () => unitNoise(this.salt, op, call, i));
    return this.mark(makeTensor(y.shape, 'f32', out), taintedInput || out.some((v, i) => !Object.is(v, ys[i])));
  }

  /** Result `v` moved within error scale `s` (NaN: undetermined) in the direction `noise()`. */
  private perturb(v: number, s: number, flipZero: boolean, noise: () => number): number {
    if (Number.isNaN(v)) return v;
    if (Number.isNaN(s)) return this.extreme ? NaN : this.sign;
    if (this.extreme && flipZero && Object.is(v, -0)) return 0;
    if (!Number.isFinite(v) || s === 0) return v;
    if (this.extreme && s >= Math.abs(v)) return this.extreme === 'zero' ? 0 : -v;
    return v + this.sign * this.safety * s * noise();
  }

  private mark(t: Tensor, tainted: boolean): Tensor {
    if (tainted) this.tainted.add(t);
    return t;
  }

  readVariable(v: Variable): Tensor {
    return eagerInterpreter.readVariable(v);
  }

  assignVariable(v: Variable, value: Tensor): void {
    eagerInterpreter.assignVariable(v, value);
  }
}

/** The perturbed runs every program gets: a mirrored pair and two at the extremes. */
export function noisyInterpreters(): NoisyInterpreter[] {
  return [
    new NoisyInterpreter(1, 1),
    new NoisyInterpreter(1, -1),
    new NoisyInterpreter(2, 1, 'zero'),
    new NoisyInterpreter(3, -1, 'flip'),
  ];
}
