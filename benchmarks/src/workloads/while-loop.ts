/**
 * @file A loop of 1,000 iterations of a 16-element update, written with whileLoop: eagerly every
 * iteration is a few JS-dispatched ops; traced it is one `while` node, a Wasm loop that never
 * returns to JS. The target: traced Wasm at least 20x faster than eager. TensorFlow.js
 * has no while-loop op in its API, so the peer runs the same ops in a JS loop.
 */
import { add, less, mul, randomNormal, scalar, tanh, whileLoop, type Tensor } from 'kiln-jit';
import { readTensors, tfProgram, toTf } from './tensors.ts';
import type { Workload } from './types.ts';

const ITERATIONS = 1000;
const inputs = () => [randomNormal([16], { seed: 900 }), scalar(ITERATIONS, 'i32')] as const;

function relax(x: Tensor, n: Tensor): Tensor[] {
  return whileLoop(
    ([, i]: Tensor[]) => less(i!, n),
    ([v, i]: Tensor[]) => [add(mul(v!, 0.999), mul(tanh(v!), 0.001)), add(i!, 1)],
    [x, scalar(0, 'i32')],
  );
}

export const whileLoopWorkload: Workload = {
  id: 'while-loop',
  title: `whileLoop of ${ITERATIONS} iterations, 16 elements`,
  quick: true,
  checkCalls: 1,
  kiln: () => ({ fn: relax, args: inputs(), read: (out) => readTensors((out as Tensor[])[0]) }),
  peerNote: 'tfjs has no while-loop op: its column runs the same ops in a JS loop',
  unsupportedPeers: { 'jax-js': 'jax-js 0.1.25 has no while-loop op (its lax has no whileLoop or fori_loop)' },
  tfjs(tf) {
    const [x] = inputs().map((t) => toTf(tf, t));
    return tfProgram(tf, () => {
      let v = x!;
      for (let i = 0; i < ITERATIONS; i++) v = tf.add(tf.mul(v, 0.999), tf.mul(tf.tanh(v), 0.001));
      return v;
    }, [x!]);
  },
};
