/**
 * @file Scalar math that `Math` lacks: erf, GELU, round-half-to-even, floor division and modulo.
 * These are the eager reference, so they aim at double precision. The constants are exported so
 * that gradients and backends use the same ones.
 */

/** 2/sqrt(pi): erf'(x) = 2/sqrt(pi)·e^(-x²). */
export const TWO_OVER_SQRT_PI = 1.1283791670955126;
/** 1/sqrt(2pi): the standard normal density at 0. */
export const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf by its Maclaurin series for |x| < 3, else by the continued fraction of erfc (both to ~1e-15). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return Math.sign(x);
  if (ax < 3) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)); terms shrink fast enough below 3.
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), from the tail up.
  let frac = ax;
  for (let n = 60; n >= 1; n--) frac = ax + n / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}

/** GELU's tanh form: x/2·(1 + tanh(sqrt(2/pi)·(x + 0.044715·x³))). */
export const GELU_TANH = { scale: Math.sqrt(2 / Math.PI), cubic: 0.044715 } as const;
const { scale: SQRT_2_OVER_PI, cubic: GELU_CUBIC } = GELU_TANH;

export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
}

export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** Rounds half to even, as numpy and WebAssembly's `nearest` do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Floor modulo: the result has the sign of the divisor (numpy's `mod`). */
export function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** Integer floor division; division by zero gives 0 rather than a trap. */
export function intFloorDiv(a: number, b: number): number {
  return b === 0 ? 0 : Math.floor(a / b);
}

export function intFloorMod(a: number, b: number): number {
  return b === 0 ? 0 : floorMod(a, b);
}

export function softplus(x: number): number {
  // log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|).
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
