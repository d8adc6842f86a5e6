/**
 * @file Neural-network helpers built from the primitive ops: initializers, layers, activations,
 * losses. Being compositions, they differentiate and trace with no rules of their own.
 */
import { KilnArgumentError, KilnShapeError } from './errors.ts';
import type { Tensor } from './tensor.ts';
import { randomNormal, randomUniform } from './creation.ts';
import {
  add,
  asTensor,
  div,
  exp,
  greaterEqual,
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
export * from './nn-vision.ts';

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
  const target = indexLabels ? oneHot(y, classes) : y;
  return neg(mean(sum(mul(target, logSoftmax(z, -1)), -1)));
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
 * The mask comes from `seed`, so inside a traced function it is fixed at trace time; pass a new
 * seed as a static argument to vary it.
 */
export function dropout(x: TensorLike, rate: number, seed: number): Tensor {
  const t = asTensor(x, 'dropout');
  if (!(rate >= 0 && rate < 1)) throw new KilnArgumentError(`dropout: rate must be in [0, 1), got ${rate}`);
  if (rate === 0) return t;
  const keep = greaterEqual(randomUniform(t.shape, { seed }), rate);
  return where(keep, mul(t, 1 / (1 - rate)), 0);
}
