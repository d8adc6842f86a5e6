/** @file Layer normalization over the last axis of a 4096×1024 matrix, with scale and shift. */
import { layerNorm, randomNormal, type Tensor } from 'kiln-jit';
import { jaxLayerNorm } from './jax-ops.ts';
import { jaxProgram, readTensors, tfProgram, toJax, toTf } from './tensors.ts';
import type { Array as JaxArray } from '@jax-js/jax';
import type { Workload } from './types.ts';

const ROWS = 4096;
const WIDTH = 1024;
const EPSILON = 1e-5;
const inputs = () =>
  [
    randomNormal([ROWS, WIDTH], { seed: 400, mean: 0.5, stddev: 2 }),
    randomNormal([WIDTH], { seed: 401, mean: 1, stddev: 0.1 }),
    randomNormal([WIDTH], { seed: 402, stddev: 0.1 }),
  ] as const;

export const layerNormWorkload: Workload = {
  id: 'layernorm',
  title: `layernorm ${ROWS}×${WIDTH} (last axis, scale + shift)`,
  quick: true,
  checkCalls: 1,
  kiln: () => ({
    fn: (x: Tensor, gamma: Tensor, beta: Tensor) => layerNorm(x, gamma, beta, { epsilon: EPSILON }),
    args: inputs(),
    read: readTensors,
    timedUse: 'read',
  }),
  tfjs(tf) {
    const [x, gamma, beta] = inputs().map((t) => toTf(tf, t));
    return tfProgram(tf, () => {
      const { mean, variance } = tf.moments(x!, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x!, mean), tf.rsqrt(tf.add(variance, EPSILON))), gamma!), beta!);
    }, [x!, gamma!, beta!]);
  },
  jax(jax) {
    const [x, gamma, beta] = inputs().map((t) => toJax(jax, t)) as [JaxArray, JaxArray, JaxArray];
    const layerNorm = jax.jit((v: JaxArray, g: JaxArray, b: JaxArray) => jaxLayerNorm(jax, v, g, b, EPSILON));
    return jaxProgram(
      () => layerNorm(x.ref, gamma.ref, beta.ref),
      () => [x, gamma, beta, layerNorm],
    );
  },
};
