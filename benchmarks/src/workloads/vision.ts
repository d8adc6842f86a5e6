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
import { jaxCrossEntropy, jaxTrainStep, type JaxLayer } from './jax-train.ts';
import { jaxProgram, readTensors, tfProgram, toJax, toTf } from './tensors.ts';
import type { Jax, Tf, Workload } from './types.ts';

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

/**
 * LeNet in jax-js, whose convolutions are NCHW with OIHW filters (the caller lays images and
 * filters out so). Pooling is a max over the 2×2 blocks of a reshape (jax-js has no maxPool), and
 * the last feature map goes back to NHWC before flattening, so the dense weights line up.
 */
function jaxLeNet(jax: Jax, p: JaxLayer[], x: JaxArray): JaxArray {
  const { numpy: np, nn, lax } = jax;
  const pool = (t: JaxArray) => {
    const [n, c, h, w] = t.shape as [number, number, number, number];
    return np.max(np.reshape(t, [n, c, h / 2, 2, w / 2, 2]), [3, 5]);
  };
  const conv = (t: JaxArray, { w, b }: JaxLayer, padding: 'SAME' | 'VALID') =>
    nn.relu(lax.conv(t, w, [1, 1], padding).add(np.reshape(b, [1, -1, 1, 1])));
  const h2 = pool(conv(pool(conv(x, p[0]!, 'SAME')), p[1]!, 'VALID'));
  const fc = (t: JaxArray, { w, b }: JaxLayer) => np.matmul(t, w).add(b);
  const h3 = nn.relu(fc(np.reshape(np.transpose(h2, [0, 2, 3, 1]), [BATCH, -1]), p[2]!));
  return fc(nn.relu(fc(h3, p[3]!)), p[4]!);
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
  jax(jax) {
    const [x, labels] = images();
    // HWIO filters to OIHW; dense weights stay as they are.
    const layers = initial().map(({ w, b }) => ({
      w: toJax(jax, w.rank === 4 ? transpose(w, [3, 2, 0, 1]) : w),
      b: toJax(jax, b),
    }));
    return jaxTrainStep(jax, {
      layers,
      x: toJax(jax, transpose(x, [0, 3, 1, 2])),
      targets: jax.nn.oneHot(toJax(jax, labels), 10),
      loss: (p, input, targets) => jaxCrossEntropy(jax, jaxLeNet(jax, p, input), targets),
      optimizer: { name: 'adam', rate: RATE },
    });
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
  // Timed here at 9-17 s a call (0.1 GFLOP/s) with a 30 s first call: over a full run's budget.
  unsupportedPeers: { 'jax-js': "jax-js 0.1.25's Wasm conv takes 9-17 s a call here: too slow for the suite" },
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
