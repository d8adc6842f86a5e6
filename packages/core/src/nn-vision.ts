/**
 * @file The nn helpers of vision models: a conv2d layer with bias, flatten, and batch
 * normalization whose training mode updates moving statistics held in Variables (so inside a
 * traced step they become the graph's variable updates). Compositions of primitive ops, so they
 * differentiate and trace with no rules of their own.
 */
import { KilnArgumentError, KilnShapeError } from './errors.ts';
import type { Tensor } from './tensor.ts';
import { Variable } from './variable.ts';
import { ones, zeros } from './creation.ts';
import {
  add,
  asTensor,
  conv2d as conv2dOp,
  mean,
  mul,
  reshape,
  rsqrt,
  square,
  stopGradient,
  sub,
  type Conv2dOptions,
  type TensorLike,
} from './ops/api.ts';

/** conv2d(x, filter) (+ bias over the output channels): the layer form of `conv2d`. */
export function conv2d(x: TensorLike, filter: TensorLike, bias?: TensorLike, options: Conv2dOptions = {}): Tensor {
  const y = conv2dOp(x, filter, options);
  return bias === undefined ? y : add(y, bias);
}

/** [batch, ...] -> [batch, product of the rest], as Keras' Flatten. */
export function flatten(x: TensorLike): Tensor {
  const t = asTensor(x, 'flatten');
  if (t.rank < 1) throw new KilnShapeError(`flatten: needs a batch dimension, got ${t.typeString}`);
  return reshape(t, [t.shape[0]!, -1]);
}

/** The moving statistics batchNorm keeps for `channels` channels; not trainable. */
export interface BatchNormState {
  movingMean: Variable;
  movingVariance: Variable;
}

/** Moving mean 0 and moving variance 1, as in Keras; `name` prefixes the variables' names. */
export function batchNormState(channels: number, name = 'batchNorm'): BatchNormState {
  return {
    movingMean: new Variable(zeros([channels]), { name: `${name}.movingMean`, trainable: false }),
    movingVariance: new Variable(ones([channels]), { name: `${name}.movingVariance`, trainable: false }),
  };
}

export interface BatchNormOptions {
  /** Normalize with the batch's statistics and update the moving ones (true), or use the moving ones. */
  training: boolean;
  /** moving = moving · momentum + batch · (1 - momentum); default 0.99 (Keras). */
  momentum?: number;
  /** Added to the variance; default 1e-3 (Keras). */
  epsilon?: number;
  /** Learned scale over the channels (default 1). */
  gamma?: TensorLike;
  /** Learned shift over the channels (default 0). */
  beta?: TensorLike;
}

/**
 * Batch normalization over every axis but the last (the channels of NHWC images, the features
 * of [batch, features]). Training mode normalizes with the batch mean and (biased) variance and
 * moves `state` toward them, the variance with Bessel's correction as PyTorch and TF's fused
 * kernel do; inference mode applies the moving statistics as one scale and shift per channel.
 */
export function batchNorm(x: TensorLike, state: BatchNormState, options: BatchNormOptions): Tensor {
  const t = asTensor(x, 'batchNorm');
  const channels = t.shape.at(-1);
  if (t.rank < 2 || channels !== state.movingMean.shape[0])
    throw new KilnShapeError(
      `batchNorm: x ${t.typeString} must have rank >= 2 and ${state.movingMean.shape[0]} channels last, as its state`,
    );
  const { momentum = 0.99, epsilon = 1e-3, gamma = 1, beta = 0 } = options;
  if (!(momentum >= 0 && momentum <= 1))
    throw new KilnArgumentError(`batchNorm: momentum must be in [0, 1], got ${momentum}`);
  if (!options.training) {
    const scale = mul(gamma, rsqrt(add(state.movingVariance.value, epsilon)));
    return add(mul(t, scale), sub(beta, mul(state.movingMean.value, scale)));
  }
  const axes = t.shape.slice(0, -1).map((_, i) => i);
  const count = t.size / channels;
  const batchMean = mean(t, axes);
  const centered = sub(t, batchMean);
  const variance = mean(square(centered), axes);
  const moveToward = (v: Variable, batch: Tensor): void =>
    v.assign(add(mul(v.value, momentum), mul(stopGradient(batch), 1 - momentum)));
  moveToward(state.movingMean, batchMean);
  moveToward(state.movingVariance, mul(variance, count > 1 ? count / (count - 1) : 1));
  return add(mul(mul(centered, rsqrt(add(variance, epsilon))), gamma), beta);
}
