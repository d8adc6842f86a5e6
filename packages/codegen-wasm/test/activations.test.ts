/**
 * The Wasm lowering of the activations that have no SIMD math of their own (silu, hardSigmoid):
 * a dense sweep and the special values, against a double-precision reference written
 * independently of the eager kernels, within the error each lowering is documented to have.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { trace } from '@kiln-jit/tracer';
import { ready, simdMathMaxError } from '../src/index.ts';

const U = 2 ** -24;

/** 20001 points on [-100, 100], plus the edges of hardSigmoid's slope and tiny values. */
const SWEEP = Float32Array.from(
  [...Array.from({ length: 20001 }, (_, i) => -100 + i / 100), -3, 3, -3.0000002, 2.9999998, 1e-30, -1e-30],
  Math.fround,
);
const SPECIALS = [NaN, Infinity, -Infinity, -0, 0, 3e38, -3e38];

function wasm(fn: (x: k.Tensor) => k.Tensor, xs: ArrayLike<number>): Float32Array {
  const traced = trace(fn, { backend: 'wasm' });
  try {
    return traced(k.tensor(Array.from(xs))).dataSync() as Float32Array;
  } finally {
    traced.clearCache();
  }
}

describe('Wasm silu and hardSigmoid', () => {
  beforeAll(() => ready());

  it('silu is x·σ(x) within σ error·|x| plus roundings', () => {
    const got = wasm(k.silu, SWEEP);
    const sigmoidError = simdMathMaxError.sigmoid.max;
    const outside = Array.from(SWEEP).filter((x, i) => {
      const want = (x * (1 + Math.tanh(x / 2))) / 2;
      return !(Math.abs(got[i]! - want) <= sigmoidError * Math.abs(x) + 2 * U * Math.abs(want));
    });
    expect(outside).toEqual([]);
  });

  it('silu at special values: NaN, ±inf (x·σ(x) at -inf is -inf·0), signed zero', () => {
    expect(Array.from(wasm(k.silu, SPECIALS))).toEqual([NaN, Infinity, NaN, -0, 0, Math.fround(3e38), -0]);
  });

  it('hardSigmoid is relu6(x + 3) / 6 within two f32 roundings', () => {
    const got = wasm(k.hardSigmoid, SWEEP);
    const outside = Array.from(SWEEP).filter((x, i) => {
      const want = x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5;
      return !(Math.abs(got[i]! - want) <= 3 * U * Math.abs(want));
    });
    expect(outside).toEqual([]);
  });

  it('hardSigmoid at special values', () => {
    expect(Array.from(wasm(k.hardSigmoid, SPECIALS))).toEqual([NaN, 1, 0, 0.5, 0.5, 1, 0]);
  });
});
