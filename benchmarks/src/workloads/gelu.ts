/**
 * @file GELU in its tanh form written as nine elementwise ops over 2^20 elements: eagerly nine
 * passes over memory, traced one fused loop.
 */
import { add, mul, randomNormal, tanh, type Tensor } from 'kiln-jit';
import { readTensors, tfProgram, toTf } from './tensors.ts';
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
};
