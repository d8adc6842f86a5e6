/**
 * @file Small statistics over timing samples: quantiles, the median absolute deviation, and a
 * seeded bootstrap of a quantile ratio, which the gate uses to say how sure it is that a workload got slower.
 */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Median absolute deviation from the median (unscaled). */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** A small deterministic generator (mulberry32), so a bootstrap gives the same answer every run. */
function seededUniform(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const resample = (values: readonly number[], uniform: () => number): number[] =>
  values.map(() => values[Math.floor(uniform() * values.length)]!);

/**
 * Fraction of bootstrap resamples in which quantile `q` of `a` exceeds `limit` times quantile `q`
 * of `b`: how sure we are that the statistic the gate reports (a low quantile, little disturbed
 * by load) really moved past the limit. Load only ever adds time, so it fattens the upper tail;
 * a rank test over whole samples mistakes a noisy baseline's tail for "not slower", a low
 * quantile does not.
 */
export function bootstrapQuantileRatioAbove(
  a: readonly number[],
  b: readonly number[],
  limit: number,
  { q = 0.25, resamples = 2000, seed = 1 }: { q?: number; resamples?: number; seed?: number } = {},
): number {
  if (a.length === 0 || b.length === 0) return 0;
  const uniform = seededUniform(seed);
  let above = 0;
  for (let i = 0; i < resamples; i++) {
    if (quantile(resample(a, uniform), q) > limit * quantile(resample(b, uniform), q)) above++;
  }
  return above / resamples;
}
