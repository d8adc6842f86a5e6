/**
 * @file One training step of a 784-512-512-10 ReLU MLP on a batch of 128 (softmax
 * cross-entropy), with SGD or Adam. Each program owns its weights and optimizer state, and
 * returns the step's loss, which is what the check compares after a few steps.
 */
import {
  add,
  adam,
  glorotUniform,
  matmul,
  randomNormal,
  randomUniform,
  relu,
  sgd,
  softmaxCrossEntropy,
  tensor,
  valueAndGrad,
  Variable,
  zeros,
  type Optimizer,
  type Tensor,
} from 'kiln-jit';
import type * as tfjs from '@tensorflow/tfjs-core';
import type { Array as JaxArray } from '@jax-js/jax';
import { jaxCrossEntropy, jaxTrainStep } from './jax-train.ts';
import { readTensors, tfProgram, toJax, toTf } from './tensors.ts';
import type { Tf, Workload } from './types.ts';

const SIZES = [784, 512, 512, 10];
const BATCH = 128;
const CLASSES = SIZES.at(-1)!;

interface Layer {
  w: Variable;
  b: Variable;
}

const initialWeights = () =>
  SIZES.slice(1).map((out, i) => ({ w: glorotUniform([SIZES[i]!, out], 700 + i), b: zeros([out]) }));
const batch = () =>
  [
    randomNormal([BATCH, SIZES[0]!], { seed: 710 }),
    tensor(Array.from(randomUniform([BATCH], { seed: 711, max: CLASSES }).dataSync(), Math.floor), [BATCH], 'i32'),
  ] as const;

function mlpLoss(layers: Layer[], x: Tensor, labels: Tensor): Tensor {
  let h = x;
  layers.forEach(({ w, b }, i) => {
    const z = add(matmul(h, w), b);
    h = i < layers.length - 1 ? relu(z) : z;
  });
  return softmaxCrossEntropy(h, labels);
}

function tfMlpLoss(
  tf: Tf,
  layers: { w: tfjs.Variable; b: tfjs.Variable }[],
  x: tfjs.Tensor,
  targets: tfjs.Tensor,
): tfjs.Scalar {
  let h = x;
  layers.forEach(({ w, b }, i) => {
    const z = tf.add(tf.matMul(h, w), b);
    h = i < layers.length - 1 ? tf.relu(z) : z;
  });
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, tf.logSoftmax(h)), -1))) as tfjs.Scalar;
}

type OptimizerName = 'sgd' | 'adam';
const SGD_RATE = 0.01;
const ADAM_RATE = 1e-3;

function kilnOptimizer(name: OptimizerName): Optimizer {
  return name === 'sgd' ? sgd({ learningRate: SGD_RATE }) : adam({ learningRate: ADAM_RATE, epsilon: 1e-8 });
}

function tfOptimizer(tf: Tf, name: OptimizerName): tfjs.Optimizer {
  return name === 'sgd' ? tf.train.sgd(SGD_RATE) : tf.train.adam(ADAM_RATE, 0.9, 0.999, 1e-8);
}

function mlpWorkload(optimizer: OptimizerName): Workload {
  return {
    id: `mlp-${optimizer}`,
    title: `MLP 784-512-512-10 train step, batch ${BATCH} (${optimizer === 'sgd' ? 'SGD' : 'Adam'})`,
    quick: true,
    checkCalls: 3,
    flops: 3 * 2 * BATCH * SIZES.slice(1).reduce((s, out, i) => s + SIZES[i]! * out, 0),
    kiln() {
      const layers = initialWeights().map(({ w, b }) => ({ w: new Variable(w), b: new Variable(b) }));
      const opt = kilnOptimizer(optimizer);
      const step = (x: Tensor, labels: Tensor): Tensor => {
        const [loss, grads] = valueAndGrad(mlpLoss)(layers, x, labels);
        opt.apply(layers, grads);
        return loss;
      };
      return { fn: step, args: batch(), read: readTensors };
    },
    tfjs(tf) {
      const layers = initialWeights().map(({ w, b }) => ({ w: tf.variable(toTf(tf, w)), b: tf.variable(toTf(tf, b)) }));
      const [x, labels] = batch().map((t) => toTf(tf, t));
      const targets = tf.oneHot(labels as tfjs.Tensor1D, CLASSES);
      const opt = tfOptimizer(tf, optimizer);
      const vars = layers.flatMap(({ w, b }) => [w, b]);
      return tfProgram(tf, () => opt.minimize(() => tfMlpLoss(tf, layers, x!, targets), true, vars)!, [
        ...vars,
        x!,
        labels!,
        targets,
        opt,
      ]);
    },
    jax(jax) {
      const { numpy: np, nn } = jax;
      const [x, labels] = batch().map((t) => toJax(jax, t)) as [JaxArray, JaxArray];
      return jaxTrainStep(jax, {
        layers: initialWeights().map(({ w, b }) => ({ w: toJax(jax, w), b: toJax(jax, b) })),
        x,
        targets: nn.oneHot(labels, CLASSES),
        loss(layers, input, targets) {
          let h = input;
          layers.forEach(({ w, b }, i) => {
            const z = np.matmul(h, w).add(b);
            h = i < layers.length - 1 ? nn.relu(z) : z;
          });
          return jaxCrossEntropy(jax, h, targets);
        },
        optimizer: { name: optimizer, rate: optimizer === 'sgd' ? SGD_RATE : ADAM_RATE },
      });
    },
  };
}

export const mlpSgdWorkload = mlpWorkload('sgd');
export const mlpAdamWorkload = mlpWorkload('adam');
