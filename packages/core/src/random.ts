/**
 * @file Seeded random numbers that are the same on every machine: a 32-bit counter-hash
 * generator (splitmix32) and Box-Muller for normals. Only integer ops and fdlibm-exact Math
 * functions are used, so results do not depend on the platform.
 */

/** Returns a generator of uniform floats in [0, 1) for `seed`. */
export function uniformGenerator(seed: number): () => number {
  let state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return (z >>> 8) / 16777216; // 24 random bits: exactly representable in f32
  };
}

/** Fills `out` with normal samples (mean 0, stddev 1) from `seed`. */
export function fillNormal(out: Float32Array, seed: number, mean: number, stddev: number): void {
  const next = uniformGenerator(seed);
  for (let i = 0; i < out.length; i += 2) {
    const u1 = next() + 1 / 33554432; // shift off 0 so log(u1) is finite
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + stddev * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = mean + stddev * r * Math.sin(2 * Math.PI * u2);
  }
}

/** Fills `out` with uniform samples in [min, max) from `seed`. */
export function fillUniform(out: Float32Array, seed: number, min: number, max: number): void {
  const next = uniformGenerator(seed);
  for (let i = 0; i < out.length; i++) out[i] = min + (max - min) * next();
}
