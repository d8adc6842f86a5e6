/**
 * @file Vision workloads: `cnn-train`, one Adam step of LeNet-5 (conv 5×5×6 same, max pool, conv
 * 5×5×16, max pool, dense 120, 84, 10) on a batch of 64 28×28 images; and `conv3x3`, the forward
 * 3×3 convolution of a ResNet stage (batch 8, 56×56×64 -> 64 channels, stride 1, same padding).
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so it cannot train the CNN.
 */
import {
  adam,
  conv2d,
  dense,
  heUniform,
  maxPool,
  nn,
  randomNormal,
  randomUniform,
  relu,
  softmaxCrossEntropy,
  tensor,
  valueAndGrad,
  transpose,
  Variable,
  zeros,
  type Tensor,
} from 'kiln-jit';
import type { Array as JaxArray } from '@jax-js/jax';
import type * as tfjs from '@tensorflow/tfjs-core';
import { jaxProgram, readTensors, tfProgram, toJax, toTf } from './tensors.ts';
import type { Tf, Workload } from './types.ts';

const BATCH = 64;
/** [filter or weight shape, seed] of each layer. */
const LAYERS: [number[], number][] = [
  [[5, 5, 1, 6], 800],
  [[5, 5, 6, 16], 801],
  [[400, 120], 802],
  [[120, 84], 803],
  [[84, 10], 804],
];
const RATE = 3e-3;

const initial = () => LAYERS.map(([shape, seed]) => ({ w: heUniform(shape, seed), b: zeros([shape.at(-1)!]) }));
const images = () =>
  [
    randomUniform([BATCH, 28, 28, 1], { seed: 810 }),
    tensor(Array.from(randomUniform([BATCH], { seed: 811, max: 10 }).dataSync(), Math.floor), [BATCH], 'i32'),
  ] as const;

type Params = { w: Tensor; b: Tensor }[];

function leNet(p: Params, x: Tensor): Tensor {
  const pool = (t: Tensor): Tensor => maxPool(t, { windowShape: 2 });
  const h1 = pool(relu(nn.conv2d(x, p[0]!.w, p[0]!.b, { padding: 'same' })));
  const h2 = pool(relu(nn.conv2d(h1, p[1]!.w, p[1]!.b)));
  const h3 = relu(dense(nn.flatten(h2), p[2]!.w, p[2]!.b));
  return dense(relu(dense(h3, p[3]!.w, p[3]!.b)), p[4]!.w, p[4]!.b);
}

function tfLeNet(tf: Tf, p: { w: tfjs.Variable; b: tfjs.Variable }[], x: tfjs.Tensor4D): tfjs.Tensor {
  const pool = (t: tfjs.Tensor4D) => tf.maxPool(t, 2, 2, 'valid');
  const conv = (t: tfjs.Tensor4D, i: number, pad: 'same' | 'valid') =>
    tf.relu(tf.add(tf.conv2d(t, p[i]!.w as tfjs.Tensor4D, 1, pad), p[i]!.b)) as tfjs.Tensor4D;
  const h2 = pool(conv(pool(conv(x, 0, 'same')), 1, 'valid'));
  const fc = (t: tfjs.Tensor, i: number) => tf.add(tf.matMul(t as tfjs.Tensor2D, p[i]!.w as tfjs.Tensor2D), p[i]!.b);
  const h3 = tf.relu(fc(tf.reshape(h2, [BATCH, -1]), 2));
  return fc(tf.relu(fc(h3, 3)), 4);
}

/** Multiply-adds of one LeNet forward pass per image; a step is about 3 passes. */
const LENET_MACS = 28 * 28 * 25 * 6 + 10 * 10 * 150 * 16 + 400 * 120 + 120 * 84 + 84 * 10;

export const cnnTrainWorkload: Workload = {
  id: 'cnn-train',
  title: `LeNet-5 train step on 28×28 images, batch ${BATCH} (Adam)`,
  // Out of the quick suite: tfjs-cpu takes ~10 s a step here. The quick check covers conv and
  // pooling against tfjs-cpu in test/vision-peer.test.ts instead.
  quick: false,
  checkCalls: 2,
  flops: 3 * 2 * BATCH * LENET_MACS,
  kiln() {
    const params = initial().map(({ w, b }) => ({ w: new Variable(w), b: new Variable(b) }));
    const opt = adam({ learningRate: RATE });
    const step = (x: Tensor, labels: Tensor): Tensor => {
      const [loss, grads] = valueAndGrad((p: Params) => softmaxCrossEntropy(leNet(p, x), labels))(params);
      opt.apply(params, grads);
      return loss;
    };
    return { fn: step, args: images(), read: readTensors };
  },
  tfjs(tf) {
    const params = initial().map(({ w, b }) => ({ w: tf.variable(toTf(tf, w)), b: tf.variable(toTf(tf, b)) }));
    const [x, labels] = images().map((t) => toTf(tf, t));
    const targets = tf.oneHot(labels as tfjs.Tensor1D, 10);
    const opt = tf.train.adam(RATE, 0.9, 0.999, 1e-8);
    const vars = params.flatMap(({ w, b }) => [w, b]);
    const loss = () =>
      tf.neg(
        tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(tfLeNet(tf, params, x as tfjs.Tensor4D))), -1)),
      ) as tfjs.Scalar;
    return tfProgram(tf, () => opt.minimize(loss, true, vars)!, [...vars, x!, labels!, targets, opt]);
  },
  unsupportedPeers: { 'tfjs-wasm': 'tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel: it cannot train a CNN' },
};

const CONV = { batch: 8, size: 56, channels: 64 };

const convInputs = () =>
  [
    randomNormal([CONV.batch, CONV.size, CONV.size, CONV.channels], { seed: 820 }),
    randomNormal([3, 3, CONV.channels, CONV.channels], { seed: 821, stddev: 0.05 }),
  ] as const;

export const conv3x3Workload: Workload = {
  id: 'conv3x3',
  title: `conv2d 3×3, batch ${CONV.batch}, ${CONV.size}×${CONV.size}×${CONV.channels} -> ${CONV.channels}, same`,
  quick: false,
  checkCalls: 1,
  flops: 2 * CONV.batch * CONV.size * CONV.size * 9 * CONV.channels * CONV.channels,
  kiln: () => ({
    fn: (x: Tensor, f: Tensor) => conv2d(x, f, { padding: 'same' }),
    args: convInputs(),
    read: readTensors,
  }),
  tfjs(tf) {
    const [x, f] = convInputs().map((t) => toTf(tf, t));
    return tfProgram(tf, () => tf.conv2d(x as tfjs.Tensor4D, f as tfjs.Tensor4D, 1, 'same'), [x!, f!]);
  },
  peerNote:
    'jax-js convolves NCHW with OIHW filters: its inputs are laid out so beforehand, and its output is transposed back to NHWC inside each call',
  jax(jax) {
    const [nhwc, hwio] = convInputs();
    const x = toJax(jax, transpose(nhwc, [0, 3, 1, 2]));
    const f = toJax(jax, transpose(hwio, [3, 2, 0, 1]));
    const conv = jax.jit((input: JaxArray, filter: JaxArray) =>
      jax.numpy.transpose(jax.lax.conv(input, filter, [1, 1], 'SAME'), [0, 2, 3, 1]),
    );
    return jaxProgram(
      () => conv(x.ref, f.ref),
      () => [x, f, conv],
    );
  },
};

const gemmInputs = () =>
  [
    randomNormal([CONV.batch * CONV.size * CONV.size, 9 * CONV.channels], { seed: 830 }),
    randomNormal([9 * CONV.channels, CONV.channels], { seed: 831 }),
  ] as const;

/** The matmul conv3x3 lowers to ([8·56·56, 576] · [576, 64]), for the GFLOP/s comparison. */
export const conv3x3GemmWorkload: Workload = {
  id: 'conv3x3-gemm',
  title: 'matmul [25088, 576] · [576, 64] (conv3x3 as one GEMM)',
  quick: false,
  checkCalls: 1,
  flops: 2 * CONV.batch * CONV.size * CONV.size * 9 * CONV.channels * CONV.channels,
  kiln: () => ({ fn: (a: Tensor, b: Tensor) => dense(a, b), args: gemmInputs(), read: readTensors }),
  tfjs(tf) {
    const [a, b] = gemmInputs().map((t) => toTf(tf, t));
    return tfProgram(tf, () => tf.matMul(a as tfjs.Tensor2D, b as tfjs.Tensor2D), [a!, b!]);
  },
  jax(jax) {
    const [a, b] = gemmInputs().map((t) => toJax(jax, t)) as [JaxArray, JaxArray];
    const product = jax.jit((x: JaxArray, y: JaxArray) => jax.numpy.matmul(x, y));
    return jaxProgram(
      () => product(a.ref, b.ref),
      () => [a, b, product],
    );
  },
};
