/** @file Row softmax of a 1024×1024 matrix (shifted by the row max, as nn.softmax does). */
import { randomNormal, softmax, type Tensor } from 'kiln-jit';
import { jaxProgram, readTensors, tfProgram, toJax, toTf } from './tensors.ts';
import type { Array as JaxArray } from '@jax-js/jax';
import type { Workload } from './types.ts';

const SHAPE = [1024, 1024];
const input = () => randomNormal(SHAPE, { seed: 300, stddev: 2 });

export const softmaxWorkload: Workload = {
  id: 'softmax',
  title: 'row softmax 1024×1024',
  quick: true,
  checkCalls: 1,
  kiln: () => ({ fn: (x: Tensor) => softmax(x), args: [input()], read: readTensors, timedUse: 'read' }),
  tfjs(tf) {
    const x = toTf(tf, input());
    return tfProgram(tf, () => tf.softmax(x), [x]);
  },
  jax(jax) {
    const x = toJax(jax, input());
    const softmax = jax.jit((v: JaxArray) => jax.nn.softmax(v));
    return jaxProgram(
      () => softmax(x.ref),
      () => [x, softmax],
    );
  },
};
