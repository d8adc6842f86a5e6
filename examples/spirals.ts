/**
 * @file The two-spirals problem, trained with Kiln's eager API: a deterministic data set, a small
 * MLP held in Variables, and an Adam training loop. Shared by the demo script, the browser page
 * (examples/browser) and the tests.
 */
import {
  adam,
  add,
  argmax,
  cast,
  equal,
  glorotUniform,
  matmul,
  mean,
  randomNormal,
  relu,
  softmaxCrossEntropy,
  tanh,
  tensor,
  valueAndGrad,
  Variable,
  zeros,
  type Tensor,
  type TensorLike,
} from 'kiln-jit';

export interface Spirals {
  /** Points, f32[n, 2]. */
  x: Tensor;
  /** Class of each point (0 or 1), i32[n]. */
  y: Tensor;
}

export interface SpiralOptions {
  pointsPerClass?: number;
  /** How many times each arm winds around the centre. */
  turns?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate. */
  noise?: number;
  seed?: number;
}

/**
 * Two interleaved spiral arms, one per class: point i of arm c sits at radius r = 0.1 + 0.9·i/n and
 * angle 2π·turns·r + cπ, plus seeded noise. Same options, same points.
 */
export function makeSpirals({ pointsPerClass = 100, turns = 2, noise = 0.03, seed = 0 }: SpiralOptions = {}): Spirals {
  const n = pointsPerClass;
  const jitter = randomNormal([2 * n, 2], { seed, stddev: noise }).dataSync();
  const points: number[] = [];
  const labels: number[] = [];
  for (let c = 0; c < 2; c++) {
    for (let i = 0; i < n; i++) {
      const r = 0.1 + (0.9 * i) / Math.max(1, n - 1);
      const angle = 2 * Math.PI * turns * r + c * Math.PI;
      const k = c * n + i;
      points.push(r * Math.cos(angle) + jitter[2 * k]!, r * Math.sin(angle) + jitter[2 * k + 1]!);
      labels.push(c);
    }
  }
  return { x: tensor(points, [2 * n, 2]), y: tensor(labels, [2 * n], 'i32') };
}

/** One dense layer's weights and bias. */
export interface Layer {
  w: Variable;
  b: Variable;
}

export type Activation = 'tanh' | 'relu';

/** An MLP with layer sizes `sizes` (input first), Glorot-uniform weights and zero biases. */
export function initMlp(sizes: readonly number[], seed: number): Layer[] {
  return sizes.slice(1).map((out, i) => ({
    w: new Variable(glorotUniform([sizes[i]!, out], seed + i), { name: `layer${i}/w` }),
    b: new Variable(zeros([out]), { name: `layer${i}/b` }),
  }));
}

/** Logits of the MLP: the activation after every layer but the last. */
export function mlpForward(layers: readonly Layer[], x: TensorLike, activation: Activation = 'relu'): Tensor {
  const act = activation === 'tanh' ? tanh : relu;
  let h = x;
  layers.forEach(({ w, b }, i) => {
    const z = add(matmul(h, w), b);
    h = i < layers.length - 1 ? act(z) : z;
  });
  return h as Tensor;
}

/** Fraction of points whose largest logit is their label. */
export function accuracy(layers: readonly Layer[], data: Spirals, activation: Activation = 'relu'): number {
  const predicted = argmax(mlpForward(layers, data.x, activation), -1);
  return mean(cast(equal(predicted, data.y), 'f32')).item() as number;
}

/** Mean softmax cross-entropy of the MLP's logits against the labels. */
export function mlpLoss(layers: readonly Layer[], x: Tensor, y: Tensor, activation: Activation = 'relu'): Tensor {
  return softmaxCrossEntropy(mlpForward(layers, x, activation), y);
}

/**
 * One full-batch training step of `layers` (loss, gradients, Adam update), returning the loss
 * before the update. Run it as is (eager) or wrap it with `trace`.
 */
export function makeTrainStep(
  layers: Layer[],
  { learningRate = 0.02, activation = 'relu' }: { learningRate?: number; activation?: Activation } = {},
): (x: Tensor, y: Tensor) => Tensor {
  const lossOf = (params: Layer[], x: Tensor, y: Tensor) => mlpLoss(params, x, y, activation);
  const optimizer = adam({ learningRate });
  return (x, y) => {
    const [value, grads] = valueAndGrad(lossOf)(layers, x, y);
    optimizer.apply(layers, grads);
    return value;
  };
}

export interface TrainOptions {
  steps?: number;
  learningRate?: number;
  hidden?: number;
  activation?: Activation;
  seed?: number;
  data?: Spirals;
  /** Wraps the training step, e.g. with `trace` to compile it; the default runs it eagerly. */
  compile?: (step: (x: Tensor, y: Tensor) => Tensor) => (x: Tensor, y: Tensor) => Tensor;
  /** Called every `every` steps (and after the last) with the step number, loss and accuracy. */
  onProgress?: (step: number, loss: number, accuracy: number) => void;
  every?: number;
}

export interface TrainResult {
  layers: Layer[];
  loss: number;
  accuracy: number;
  steps: number;
}

/** Trains a 2 -> hidden -> hidden -> 2 MLP on the spirals with full-batch Adam. */
export function trainSpirals(options: TrainOptions = {}): TrainResult {
  const {
    steps = 400,
    learningRate = 0.02,
    hidden = 32,
    activation = 'relu',
    seed = 1,
    every = 50,
    onProgress,
  } = options;
  const data = options.data ?? makeSpirals();
  const layers = initMlp([2, hidden, hidden, 2], seed);
  const trainStep = makeTrainStep(layers, { learningRate, activation });
  const step = options.compile ? options.compile(trainStep) : trainStep;
  let loss = NaN;
  for (let i = 1; i <= steps; i++) {
    loss = step(data.x, data.y).item() as number;
    if (onProgress && (i % every === 0 || i === steps)) onProgress(i, loss, accuracy(layers, data, activation));
  }
  return { layers, loss, accuracy: accuracy(layers, data, activation), steps };
}
