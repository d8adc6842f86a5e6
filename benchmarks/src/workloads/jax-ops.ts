/** @file Pieces the jax-js versions of several workloads share. */
import type { Array as JaxArray } from '@jax-js/jax';
import type { Jax } from './types.ts';

/**
 * Layer normalization over the last axis, centred before squaring as tf.moments and Kiln do
 * (jax-js's nn.standardize takes E[x²] - E[x]², which loses digits when the mean is large).
 * Consumes its arguments, as jax-js functions do.
 */
export function jaxLayerNorm(jax: Jax, x: JaxArray, gamma: JaxArray, beta: JaxArray, epsilon = 1e-5): JaxArray {
  const np = jax.numpy;
  const centred = x.ref.sub(np.mean(x, -1, { keepdims: true }));
  const variance = np.mean(np.square(centred.ref), -1, { keepdims: true });
  return centred
    .div(np.sqrt(variance.add(epsilon)))
    .mul(gamma)
    .add(beta);
}
