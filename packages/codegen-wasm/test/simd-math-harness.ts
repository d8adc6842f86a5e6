/**
 * @file Helpers for the simd-math tests: a tiny Wasm module that maps one approximation over an
 * f32 array, the sweep of inputs, a double-precision erf (Math has none) and the error metric.
 */
import type { Binaryen, BinaryenModule, ExpressionRef } from '../src/binaryen.ts';
import type { SimdMathErrorBound, SimdMathFn } from '../src/simd-math.ts';
import { FunctionBuilder, type Local } from '../src/function-builder.ts';

/** An instantiated map module. */
export interface MathKernel {
  /** Applies the approximation to every element, four lanes at a time. */
  map(input: Float32Array): Float32Array;
  /** Applies it to one value through f32x4.splat and extract_lane, as a scalar tail would. */
  scalar(x: number): number;
}

/** map(src, dst, bytes): stores fn(load(src + k)) at dst + k for k = 0, 16, ... < bytes. */
function addMapFunction(binaryen: Binaryen, mod: BinaryenModule, fn: SimdMathFn, fma: boolean): void {
  const b = new FunctionBuilder({ binaryen, mod, fma }, 3);
  const [src, dst, bytes] = [0, 1, 2].map((i) => b.paramLocal(i)) as [Local, Local, Local];
  const offset = b.local();
  const at = (base: Local): ExpressionRef => mod.i32.add(base.get(), offset.get());
  const step = mod.block(null, [
    mod.br('done', mod.i32.ge_u(offset.get(), bytes.get())),
    mod.v128.store(0, 16, at(dst), fn(b, mod.v128.load(0, 16, at(src)))),
    b.increment(offset, 16),
    mod.br('next'),
  ]);
  b.finish('map', mod.block('done', [mod.loop('next', step)]));
  mod.addFunctionExport('map', 'map');
}

/** scalar(x: f32): lane 0 of fn(splat(x)). */
function addScalarFunction(binaryen: Binaryen, mod: BinaryenModule, fn: SimdMathFn, fma: boolean): void {
  const b = new FunctionBuilder({ binaryen, mod, fma }, [binaryen.f32]);
  b.finish('scalar', mod.f32x4.extract_lane(fn(b, mod.f32x4.splat(b.paramLocal(0).get())), 0), binaryen.f32);
  mod.addFunctionExport('scalar', 'scalar');
}

/**
 * A module exporting `memory`, `map` and `scalar` for `fn`, with relaxed-SIMD multiply-adds when
 * `fma`; the caller validates and disposes it.
 */
export function buildMathModule(binaryen: Binaryen, fn: SimdMathFn, fma = false): BinaryenModule {
  const mod = new binaryen.Module();
  mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | (fma ? binaryen.Features.RelaxedSIMD : 0));
  mod.setMemory(1, 65536, 'memory');
  addMapFunction(binaryen, mod, fn, fma);
  addScalarFunction(binaryen, mod, fn, fma);
  return mod;
}

/** Instantiates a module from `buildMathModule`. */
export async function instantiateMathModule(mod: BinaryenModule): Promise<MathKernel> {
  const { instance } = await WebAssembly.instantiate(mod.emitBinary() as Uint8Array<ArrayBuffer>);
  const memory = instance.exports.memory as WebAssembly.Memory;
  const mapExport = instance.exports.map as (src: number, dst: number, bytes: number) => void;
  const map = (input: Float32Array): Float32Array => {
    const bytes = Math.ceil(input.length / 4) * 16;
    const missing = Math.ceil((2 * bytes) / 65536) - memory.buffer.byteLength / 65536;
    if (missing > 0) memory.grow(missing);
    new Float32Array(memory.buffer, 0, input.length).set(input);
    mapExport(0, bytes, bytes);
    return new Float32Array(memory.buffer, bytes, input.length).slice();
  };
  return { map, scalar: instance.exports.scalar as (x: number) => number };
}

/** A deterministic xorshift32 stream of uint32s. */
function randomBits(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

const SWEEP_SIZE = 1 << 17;

/**
 * One random bit pattern in each of 2^17 equal slices of all 2^32: every magnitude, log-spaced,
 * both signs, denormals, infinities and NaNs.
 */
export function allMagnitudes(): Float32Array {
  const next = randomBits(0x9e3779b9);
  const slice = 2 ** 32 / SWEEP_SIZE;
  const bits = Uint32Array.from({ length: SWEEP_SIZE }, (_, k) => k * slice + (next() % slice));
  return new Float32Array(bits.buffer);
}

/** Sweep points: `allMagnitudes()`, 2^17 evenly spaced points on [lo, hi], and `extra`. */
export function sweepInputs(lo: number, hi: number, extra: readonly number[]): Float32Array {
  const grid = Float32Array.from({ length: SWEEP_SIZE }, (_, k) => lo + ((hi - lo) * k) / (SWEEP_SIZE - 1));
  return Float32Array.from([...allMagnitudes(), ...grid, ...extra]);
}

/** erf in double: 2/sqrt(pi) e^-x^2 sum_n x (2x^2)^n / (1*3*...*(2n+1)), whose terms are all positive. */
export function erf(x: number): number {
  if (!(Math.abs(x) < 6)) return Number.isNaN(x) ? NaN : Math.sign(x); // erfc(6) = 2e-17
  let term = x,
    sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

const F32_MIN_NORMAL = 2 ** -126;

/** The error of `got` against `want` under the metric of `bound`; special values must match exactly. */
export function errorOf(got: number, want: number, bound: SimdMathErrorBound): number {
  if (Number.isNaN(want) || !Number.isFinite(want)) return Object.is(got, want) ? 0 : Infinity;
  const diff = Math.abs(got - want);
  if (Number.isNaN(diff)) return Infinity;
  return bound.kind === 'absolute' ? diff : diff / Math.max(Math.abs(want), F32_MIN_NORMAL);
}

/** The worst error over `inputs` with `reference` computed in double and rounded to f32. */
export function worstError(
  inputs: Float32Array,
  got: Float32Array,
  reference: (x: number) => number,
  bound: SimdMathErrorBound,
): { error: number; x: number; got: number; want: number } {
  let worst = { error: -1, x: NaN, got: NaN, want: NaN };
  inputs.forEach((x, k) => {
    const want = Math.fround(reference(x));
    const error = errorOf(got[k]!, want, bound);
    if (error > worst.error) worst = { error, x, got: got[k]!, want };
  });
  return worst;
}
