/**
 * @file A chain of 1000 dependent adds on 16 elements: per-op overhead. Traced, the passes are
 * free to fold or fuse the chain, and showing what that buys is the point.
 */
import { add, randomNormal, type Tensor } from 'kiln-jit';
import { readTensors, tfProgram, toTf } from './tensors.ts';
import type { Workload } from './types.ts';

const LENGTH = 1000;
const inputs = () => [randomNormal([16], { seed: 600 }), randomNormal([16], { seed: 601, stddev: 0.01 })] as const;

function addChain(x: Tensor, step: Tensor): Tensor {
  let y = x;
  for (let i = 0; i < LENGTH; i++) y = add(y, step);
  return y;
}

export const addChainWorkload: Workload = {
  id: 'add-chain',
  title: `chain of ${LENGTH} adds, 16 elements`,
  quick: true,
  checkCalls: 1,
  kiln: () => ({ fn: addChain, args: inputs(), read: readTensors }),
  tfjs(tf) {
    const [x, step] = inputs().map((t) => toTf(tf, t));
    return tfProgram(tf, () => {
      let y = x!;
      for (let i = 0; i < LENGTH; i++) y = tf.add(y, step!);
      return y;
    }, [x!, step!]);
  },
  unsupportedPeers: {
    'jax-js': 'jax-js 0.1.25 fuses the 1000 adds into one expression and overflows the stack simplifying it',
  },
};
