/**
 * @file Gradient clipping over pytrees, as TensorFlow's `tf.clip_by_global_norm` /
 * `tf.clip_by_value` and optax's `clip_by_global_norm` define it. Built from ops, so it runs
 * eagerly, under grad and inside a traced step alike.
 */
import { KilnArgumentError } from './errors.ts';
import type { Tensor } from './tensor.ts';
import { Variable } from './variable.ts';
import { add, asTensor, div, maximum, minimum, mul, sqrt, square, sum, type TensorLike } from './ops/api.ts';
import { flatten, mapTree } from './pytree.ts';

function leafTensor(op: string, leaf: unknown, i: number): Tensor {
  return asTensor(leaf instanceof Variable ? leaf.value : (leaf as TensorLike), op, `leaf ${i}`);
}

/** sqrt of the sum of squares of every element of every leaf: the norm of the whole tree as one vector. */
export function globalNorm(tree: unknown): Tensor {
  const leaves = flatten(tree).leaves.map((leaf, i) => leafTensor('globalNorm', leaf, i));
  if (leaves.length === 0) throw new KilnArgumentError('globalNorm: the tree has no leaves');
  return sqrt(leaves.map((t) => sum(square(t))).reduce((a, b) => add(a, b)));
}

/**
 * Scales every leaf by maxNorm / max(globalNorm(tree), maxNorm), so the clipped tree's global norm
 * is at most maxNorm and a tree already within it is unchanged (TensorFlow's formula).
 */
export function clipByGlobalNorm<T>(tree: T, maxNorm: number): T {
  if (typeof maxNorm !== 'number' || !(maxNorm > 0)) {
    throw new KilnArgumentError(`clipByGlobalNorm: maxNorm must be a positive number, got ${String(maxNorm)}`);
  }
  const scale = div(maxNorm, maximum(globalNorm(tree), maxNorm));
  return mapTree<T>(tree, (leaf, i) => mul(leafTensor('clipByGlobalNorm', leaf, i), scale));
}

/** Clamps every element of every leaf to [min, max]. */
export function clipByValue<T>(tree: T, min: number, max: number): T {
  if (typeof min !== 'number' || typeof max !== 'number' || !(min <= max)) {
    throw new KilnArgumentError(`clipByValue: needs numbers min <= max, got ${String(min)} and ${String(max)}`);
  }
  return mapTree<T>(tree, (leaf, i) => minimum(maximum(leafTensor('clipByValue', leaf, i), min), max));
}
