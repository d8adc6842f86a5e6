/**
 * @file One SGD training step of a tanh RNN (input 32, hidden 64, batch 16) over 32 time steps,
 * written with scan: traced, the forward pass is one `scan` node and the backward one reverse
 * scan. The TensorFlow.js peer runs the same cell in an unrolled JS loop under opt.minimize.
 */
import {
  add,
  matmul,
  mean,
  mul,
  randomNormal,
  scan,
  sgd,
  square,
  sub,
  tanh,
  valueAndGrad,
  Variable,
  zeros,
  type Tensor,
} from 'kiln-jit';
import type * as tfjs from '@tensorflow/tfjs-core';
import { readTensors, tfProgram, toTf } from './tensors.ts';
import type { Workload } from './types.ts';

const [STEPS, BATCH, INPUT, HIDDEN] = [32, 16, 32, 64];
const RATE = 0.05;

const weights = () => ({
  wx: mul(randomNormal([INPUT, HIDDEN], { seed: 910 }), 0.15),
  wh: mul(randomNormal([HIDDEN, HIDDEN], { seed: 911 }), 0.1),
  b: zeros([HIDDEN]),
  wo: mul(randomNormal([HIDDEN, 1], { seed: 912 }), 0.1),
});
const data = () =>
  [randomNormal([STEPS, BATCH, INPUT], { seed: 913 }), randomNormal([BATCH, 1], { seed: 914 })] as const;

type Params = { wx: Tensor; wh: Tensor; b: Tensor; wo: Tensor };

function rnnLoss(p: Params, xs: Tensor, y: Tensor): Tensor {
  const [h] = scan(
    (c: Tensor, x: Tensor) => [tanh(add(add(matmul(x, p.wx), matmul(c, p.wh)), p.b)), null],
    zeros([BATCH, HIDDEN]),
    xs,
  );
  return mean(square(sub(matmul(h, p.wo), y)));
}

export const scanRnnWorkload: Workload = {
  id: 'scan-rnn',
  title: `RNN train step, scan over ${STEPS} steps (tanh cell ${INPUT}->${HIDDEN}, batch ${BATCH}, SGD)`,
  quick: true,
  checkCalls: 3,
  flops: 3 * 2 * STEPS * BATCH * HIDDEN * (INPUT + HIDDEN),
  kiln() {
    const w = weights();
    const params = { wx: new Variable(w.wx), wh: new Variable(w.wh), b: new Variable(w.b), wo: new Variable(w.wo) };
    const opt = sgd({ learningRate: RATE });
    const step = (xs: Tensor, y: Tensor): Tensor => {
      const [loss, grads] = valueAndGrad(rnnLoss)(params, xs, y);
      opt.apply(params, grads);
      return loss;
    };
    return { fn: step, args: data(), read: readTensors };
  },
  peerNote: 'tfjs has no scan op: its column unrolls the 32 steps in JS',
  unsupportedPeers: { 'jax-js': 'jax-js 0.1.25 has no scan op' },
  tfjs(tf) {
    const w = weights();
    const v = (t: Tensor) => tf.variable(toTf(tf, t));
    const p = { wx: v(w.wx), wh: v(w.wh), b: v(w.b), wo: v(w.wo) };
    const [xs, y] = data().map((t) => toTf(tf, t));
    const steps = tf.unstack(xs!);
    const opt = tf.train.sgd(RATE);
    const loss = (): tfjs.Scalar => {
      let h: tfjs.Tensor = tf.zeros([BATCH, HIDDEN]);
      for (const x of steps) h = tf.tanh(tf.add(tf.add(tf.matMul(x, p.wx), tf.matMul(h, p.wh)), p.b));
      return tf.mean(tf.square(tf.sub(tf.matMul(h, p.wo), y!)));
    };
    const vars = [p.wx, p.wh, p.b, p.wo];
    return tfProgram(tf, () => opt.minimize(loss, true, vars)!, [...vars, xs!, y!, ...steps, opt]);
  },
};
