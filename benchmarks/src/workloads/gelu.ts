/**
 * @file GELU in its tanh form written as nine elementwise ops over 2^20 elements: eagerly nine
 * passes over memory, traced one fused loop.
 */
import { add, mul, randomNormal, tanh, type Tensor } from 'kiln-jit';
import { jaxProgram, readTensors, tfProgram, toJax, toTf } from './tensors.ts';
import type { Array as JaxArray } from '@jax-js/jax';
import type { Workload } from './types.ts';

const SIZE = 1 << 20;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const input = () => randomNormal([SIZE], { seed: 500, stddev: 2 });

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) */
function geluChain(x: Tensor): Tensor {
  const cube = mul(mul(x, x), x);
  const inner = mul(add(x, mul(cube, 0.044715)), SQRT_2_OVER_PI);
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}

export const geluWorkload: Workload = {
  id: 'gelu',
  title: 'GELU (tanh form) as 9 ops, 2^20 elements',
  quick: true,
  checkCalls: 1,
  kiln: () => ({ fn: geluChain, args: [input()], read: readTensors, timedUse: 'read' }),
  tfjs(tf) {
    const x = toTf(tf, input());
    return tfProgram(tf, () => {
      const cube = tf.mul(tf.mul(x, x), x);
      const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), SQRT_2_OVER_PI);
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
    }, [x]);
  },
  jax(jax) {
    const x = toJax(jax, input());
    // Every use but the last takes a reference: jax-js ops consume their arguments.
    const gelu = jax.jit((v: JaxArray) => {
      const cube = v.ref.mul(v.ref).mul(v.ref);
      const inner = v.ref.add(cube.mul(0.044715)).mul(SQRT_2_OVER_PI);
      return v.mul(0.5).mul(jax.numpy.tanh(inner).add(1));
    });
    return jaxProgram(
      () => gelu(x.ref),
      () => [x, gelu],
    );
  },
};
