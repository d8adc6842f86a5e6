/**
 * @file Neural-network helpers built from the primitive ops: initializers, layers, activations,
 * losses. Being compositions, they differentiate and trace with no rules of their own.
 */
import { KilnArgumentError, KilnShapeError } from './errors.ts';
import { Tensor } from './tensor.ts';
import { bernoulli, Generator, key as randomKey } from './prng.ts';
import { arange, randomNormal, randomUniform } from './creation.ts';
import {
  add,
  asTensor,
  div,
  exp,
  gather,
  log,
  matmul,
  max,
  mean,
  mul,
  neg,
  oneHot,
  rsqrt,
  square,
  stopGradient,
  sub,
  sum,
  where,
  type TensorLike,
} from './ops/api.ts';
import { normalizeAxis, shapesEqual } from './shape.ts';

export * from './ops/activations.ts';

function fans(shape: readonly number[]): [number, number] {
  if (shape.length < 2) return [shape[0] ?? 1, shape[0] ?? 1];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape.at(-2)! * receptive, shape.at(-1)! * receptive];
}

/** Glorot (Xavier) uniform: U(-l, l), l = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(shape: readonly number[], seed: number): Tensor {
  const [fanIn, fanOut] = fans(shape);
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return randomUniform(shape, { seed, min: -limit, max: limit });
}

/** Glorot (Xavier) normal: N(0, 2 / (fanIn + fanOut)). */
export function glorotNormal(shape: readonly number[], seed: number): Tensor {
  const [fanIn, fanOut] = fans(shape);
  return randomNormal(shape, { seed, stddev: Math.sqrt(2 / (fanIn + fanOut)) });
}

/** He (Kaiming) normal, for ReLU layers: N(0, 2 / fanIn). */
export function heNormal(shape: readonly number[], seed: number): Tensor {
  return randomNormal(shape, { seed, stddev: Math.sqrt(2 / fans(shape)[0]) });
}

/** He (Kaiming) uniform: U(-l, l), l = sqrt(6 / fanIn). */
export function heUniform(shape: readonly number[], seed: number): Tensor {
  const limit = Math.sqrt(6 / fans(shape)[0]);
  return randomUniform(shape, { seed, min: -limit, max: limit });
}

/** x · w (+ b). */
export function dense(x: TensorLike, w: TensorLike, b?: TensorLike): Tensor {
  const y = matmul(x, w);
  return b === undefined ? y : add(y, b);
}

function checkAxis(op: string, x: Tensor, axis: number): number {
  const a = normalizeAxis(axis, x.rank);
  if (a === null) throw new KilnArgumentError(`${op}: axis ${axis} is out of range for ${x.typeString}`);
  return a;
}

/** softmax along `axis` (last by default), shifted by the max for stability. */
export function softmax(x: TensorLike, axis = -1): Tensor {
  const t = asTensor(x, 'softmax');
  const a = checkAxis('softmax', t, axis);
  const e = exp(sub(t, stopGradient(max(t, a, true))));
  return div(e, sum(e, a, true));
}

/** log(softmax(x)) along `axis`, computed without forming softmax. */
export function logSoftmax(x: TensorLike, axis = -1): Tensor {
  const t = asTensor(x, 'logSoftmax');
  const a = checkAxis('logSoftmax', t, axis);
  const shifted = sub(t, stopGradient(max(t, a, true)));
  return sub(shifted, log(sum(exp(shifted), a, true)));
}

/**
 * Mean softmax cross-entropy of `logits` [..., classes] against `labels`: i32 class indices of
 * shape [...], or f32 one-hot / probability rows of the logits' shape.
 */
export function softmaxCrossEntropy(logits: TensorLike, labels: TensorLike): Tensor {
  const z = asTensor(logits, 'softmaxCrossEntropy', 'logits');
  const y = asTensor(labels, 'softmaxCrossEntropy', 'labels', 'i32');
  const classes = z.shape.at(-1) ?? 0;
  const indexLabels = y.dtype === 'i32' && shapesEqual(y.shape, z.shape.slice(0, -1));
  if (!indexLabels && !(y.dtype === 'f32' && shapesEqual(y.shape, z.shape))) {
    throw new KilnShapeError(
      `softmaxCrossEntropy: labels ${y.typeString} do not match logits ${z.typeString}; ` +
        `give i32 class indices of shape [${z.shape.slice(0, -1).join(',')}] or f32 rows of shape [${z.shape.join(',')}]`,
    );
  }
  const target = indexLabels ? oneHot(checkedLabels(y, classes, z), classes) : y;
  return neg(mean(sum(mul(target, logSoftmax(z, -1)), -1)));
}

/**
 * Class indices that are known to lie in [0, classes): oneHot would turn a bad label into a zero
 * row and a plausible, wrong loss. Concrete labels are checked now; symbolic ones go through a
 * gather of the class ids, whose index check stops the traced call, as PyTorch's cross_entropy
 * and TensorFlow's sparse cross-entropy stop on such a label.
 */
function checkedLabels(labels: Tensor, classes: number, logits: Tensor): Tensor {
  if (labels.isSymbolic) return gather(arange(classes, undefined, 1, 'i32'), labels);
  const data = labels.concreteData();
  for (let i = 0; i < data.length; i++) {
    if (data[i]! < 0 || data[i]! >= classes) {
      throw new KilnArgumentError(
        `softmaxCrossEntropy: label ${data[i]} (at index ${i}) is out of range [0, ${classes}) for logits ${logits.typeString}`,
      );
    }
  }
  return labels;
}

/** Mean squared error. */
export function mse(prediction: TensorLike, target: TensorLike): Tensor {
  return mean(square(sub(prediction, target)));
}

export interface LayerNormOptions {
  axis?: number;
  epsilon?: number;
}

/** Normalizes over `axis` (last by default) to zero mean and unit variance, then scales and shifts. */
export function layerNorm(
  x: TensorLike,
  gamma?: TensorLike,
  beta?: TensorLike,
  options: LayerNormOptions = {},
): Tensor {
  const t = asTensor(x, 'layerNorm');
  const a = checkAxis('layerNorm', t, options.axis ?? -1);
  const centered = sub(t, mean(t, a, true));
  const normalized = mul(centered, rsqrt(add(mean(square(centered), a, true), options.epsilon ?? 1e-5)));
  const scaled = gamma === undefined ? normalized : mul(normalized, gamma);
  return beta === undefined ? scaled : add(scaled, beta);
}

/**
 * Inverted dropout: zeroes each element with probability `rate` and scales the rest by 1/(1-rate).
 * The mask comes from `rng`: a Generator (fresh on every call, also in a traced step, as Keras's
 * dropout draws from a tf.random.Generator), a key tensor (as flax's dropout takes a
 * `jax.random` key; pass a new key per call) or a number (a fixed seed: the same mask every call).
 */
export function dropout(x: TensorLike, rate: number, rng: number | Tensor | Generator): Tensor {
  const t = asTensor(x, 'dropout');
  if (!(rate >= 0 && rate < 1)) throw new KilnArgumentError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return t;
  const keep =
    rng instanceof Generator
      ? rng.bernoulli(1 - rate, t.shape)
      : bernoulli(typeof rng === 'number' ? randomKey(rng) : keyArgument(rng), 1 - rate, t.shape);
  return where(keep, mul(t, 1 / (1 - rate)), 0);
}

function keyArgument(rng: unknown): Tensor {
  if (rng instanceof Tensor) return rng;
  throw new KilnArgumentError('dropout: rng must be a Generator, a key tensor (i32[2]) or a seed number');
}
