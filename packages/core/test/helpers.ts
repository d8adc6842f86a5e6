/**
 * @file Shared test helpers: tolerances, closeness checks that treat NaN as a value, a seeded
 * generator independent of Kiln's own, a finite-difference gradient check, and error capture
 * that knows the line of the failing call.
 */
import { expect } from '@jest/globals';
import { grad, tensor, type KilnError, type Tensor } from '../src/index.ts';

/** f32 results against double-precision references: a few f32 roundings (2^-24 each). */
export const F32_RTOL = 1e-6;
/** Absolute slack for references that are (near) zero. */
export const F32_ATOL = 1e-7;

/** Finite-difference step; f32 arithmetic makes smaller steps noisier than they are accurate. */
export const GRAD_EPS = 1e-2;
/** Central differences with GRAD_EPS carry O(eps^2) truncation and O(2^-24 / eps) rounding error. */
export const GRAD_RTOL = 1e-2;
export const GRAD_ATOL = 1e-3;

/** True when `a` and `b` agree within tolerance; NaN matches NaN and infinities match exactly. */
export function isClose(a: number, b: number, rtol = F32_RTOL, atol = F32_ATOL): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}

/** Expects two flat lists to agree elementwise; the failure names the first bad index. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = F32_RTOL,
  atol = F32_ATOL,
  what = '',
): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!isClose(actual[i]!, expected[i]!, rtol, atol)) {
      throw new Error(
        `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (rtol ${rtol}, atol ${atol})\n` +
          `actual:   ${Array.from(actual).join(', ')}\nexpected: ${Array.from(expected).join(', ')}`,
      );
    }
  }
}

type Nested = number | boolean | Nested[];

function flat(values: Nested): number[] {
  return Array.isArray(values) ? values.flatMap(flat) : [Number(values)];
}

/** Expects `t` to have `shape` and values close to `expected` (nested or flat). */
export function expectTensor(
  t: Tensor,
  shape: readonly number[],
  expected: Nested,
  rtol = F32_RTOL,
  atol = F32_ATOL,
): void {
  expect(t.shape).toEqual(shape);
  expectClose(Array.from(t.dataSync()), flat(expected), rtol, atol);
}

/** mulberry32: a seeded generator independent of Kiln's, for test inputs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` seeded values in [lo, hi), already rounded to f32 so references see what the tensor holds. */
export function seededValues(n: number, seed: number, lo = -1, hi = 1): number[] {
  const next = seededRandom(seed);
  return Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * next()));
}

/** An f32 tensor of seeded values in [lo, hi). */
export function randomTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  return tensor(
    seededValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    shape,
  );
}

export interface GradTolerance {
  eps?: number;
  rtol?: number;
  atol?: number;
}

/**
 * Compares `grad(f)` over every input with central differences: each element is moved by ±eps
 * and the (f32) step actually taken divides the change in f. f must return a scalar.
 */
export function checkGradients(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], tol: GradTolerance = {}): void {
  const { eps = GRAD_EPS, rtol = GRAD_RTOL, atol = GRAD_ATOL } = tol;
  const analytic = grad(
    f,
    inputs.map((_, i) => i),
  )(...inputs);
  inputs.forEach((x, i) => {
    expect(analytic[i]!.shape).toEqual(x.shape);
    const base = x.dataSync() as Float32Array;
    const at = (data: Float32Array): number =>
      f(...inputs.map((y, k) => (k === i ? tensor(data, y.shape) : y))).item() as number;
    const numeric = Array.from(base, (v, j) => {
      const plus = base.slice();
      const minus = base.slice();
      plus[j] = v + eps;
      minus[j] = v - eps;
      return (at(plus) - at(minus)) / (plus[j]! - minus[j]!);
    });
    expectClose(Array.from(analytic[i]!.dataSync()), numeric, rtol, atol, `d f / d input ${i}`);
  });
}

/** The line of the caller's call site: put it on the same line as the call being located. */
export function lineHere(): number {
  const frame = new Error().stack!.split('\n')[2]!;
  return Number(/:(\d+):\d+\)?$/.exec(frame)![1]);
}

/** Runs `fn`, which must throw, and returns the error. */
export function caught(fn: () => unknown): KilnError {
  try {
    fn();
  } catch (e) {
    return e as KilnError;
  }
  throw new Error('expected the call to throw');
}
