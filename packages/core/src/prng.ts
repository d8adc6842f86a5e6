/**
 * @file Random numbers that work inside traced functions, two ways, both on the `randomBits` op
 * (Threefry-2x32, so eager, interpreted and compiled runs give the same bits):
 *   - keys as tensors, as in `jax.random`: `key(seed)` is an i32[2] tensor, `split` makes new
 *     keys, and `uniform`, `normal`, `bernoulli` draw from a key; pass keys to a traced function
 *     as arguments and each call gets fresh numbers with no retrace;
 *   - a `Generator` whose state is a Variable that every draw advances, as `tf.random.Generator`:
 *     a traced step captures the state and updates it, so every call draws new numbers.
 * `key`, `split` and `bits` give the same values as JAX's (non-partitionable) threefry PRNG
 * (`split(key(0))` is [[4146024105, 967050713], [2718843009, 1272950319]] as uint32);
 * `uniform` uses JAX's 23-bit construction; `normal` uses Box-Muller, not JAX's erfinv.
 */
import { KilnArgumentError } from './errors.ts';
import { Tensor } from './tensor.ts';
import { Variable } from './variable.ts';
import { tensor } from './creation.ts';
import { bind } from './context.ts';
import { add, asTensor, cos, less, log, maximum, mul, reshape, slice, sqrt, sub, type TensorLike } from './ops/api.ts';
import { checkTensorSize, formatShape } from './shape.ts';

function checkShapeArg(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new KilnArgumentError(`${op}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  checkTensorSize(op, shape);
  return [...shape];
}

const keyOf = (op: string, k: TensorLike): Tensor => asTensor(k, op, 'key', 'i32');

/** A key (i32[2]) from an integer seed: [high 32 bits, low 32 bits], as `jax.random.key`/`PRNGKey`. */
export function key(seed: number): Tensor {
  if (!Number.isSafeInteger(seed)) throw new KilnArgumentError(`key: seed must be an integer, got ${String(seed)}`);
  return tensor([Math.floor(seed / 2 ** 32) | 0, seed | 0], [2], 'i32');
}

/** Random 32-bit words (as i32) of `shape` from `key`. */
export function bits(k: TensorLike, shape: readonly number[] = []): Tensor {
  return bind('randomBits', [keyOf('bits', k)], { shape: checkShapeArg('bits', shape), dtype: 'i32' });
}

/** `num` new keys from `key`, as an i32[num, 2] tensor (row i is key i), as `jax.random.split`. */
export function split(k: TensorLike, num = 2): Tensor {
  if (!Number.isInteger(num) || num < 1)
    throw new KilnArgumentError(`split: num must be a positive integer, got ${String(num)}`);
  return bind('randomBits', [keyOf('split', k)], { shape: [num, 2], dtype: 'i32' });
}

/** Row `i` of a [n, 2] tensor of keys, as an i32[2] key. */
export function keyAt(keys: Tensor, i: number): Tensor {
  return reshape(slice(keys, [i, 0], [1, 2]), [2]);
}

export interface UniformOptions {
  /** Default 0. */
  min?: number;
  /** Default 1 (excluded). */
  max?: number;
}

/** Uniform f32 numbers in [min, max) of `shape` from `key`. */
export function uniform(k: TensorLike, shape: readonly number[] = [], options: UniformOptions = {}): Tensor {
  const { min = 0, max = 1 } = options;
  const unit = bind('randomBits', [keyOf('uniform', k)], { shape: checkShapeArg('uniform', shape), dtype: 'f32' });
  if (min === 0 && max === 1) return unit;
  // As JAX: scale, shift, and keep rounding from going below min.
  return maximum(add(mul(unit, max - min), min), min);
}

export interface NormalOptions {
  /** Default 0. */
  mean?: number;
  /** Default 1. */
  stddev?: number;
}

/** Normal f32 numbers of `shape` from `key` (Box-Muller on two uniform draws per element). */
export function normal(k: TensorLike, shape: readonly number[] = [], options: NormalOptions = {}): Tensor {
  const s = checkShapeArg('normal', shape);
  const u = uniform(k, [2, ...s]);
  const first = reshape(slice(u, [0], [1]), s);
  const second = reshape(slice(u, [1], [1]), s);
  // 1 - u lies in (0, 1], so the log is finite.
  const radius = sqrt(mul(-2, log(sub(1, first))));
  const z = mul(radius, cos(mul(2 * Math.PI, second)));
  const { mean = 0, stddev = 1 } = options;
  return mean === 0 && stddev === 1 ? z : add(mul(z, stddev), mean);
}

/** bool values of `shape` from `key`, each true with probability `p` (uniform < p, as `jax.random.bernoulli`). */
export function bernoulli(k: TensorLike, p: number, shape: readonly number[] = []): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    throw new KilnArgumentError(`bernoulli: p must be a probability in [0, 1], got ${String(p)}`);
  return less(uniform(k, shape), p);
}

export interface GeneratorOptions {
  /** Name of the state variable (default `generator`). */
  name?: string;
}

/**
 * A random generator whose state (an i32[2] key) is a Variable: each draw splits the state
 * into the next state and a key for the draw, like `tf.random.Generator`. Inside a traced
 * function the state is captured and updated by the graph, so every call draws fresh numbers
 * without retracing; the same seed gives the same sequence eagerly and traced. Save `state` in
 * a checkpoint (as one of its `variables`) to resume the sequence.
 */
export class Generator {
  readonly state: Variable;

  constructor(seed: number, options: GeneratorOptions = {}) {
    this.state = new Variable(key(seed), { name: options.name ?? 'generator', trainable: false });
  }

  /** A fresh key for one draw; the state moves on. */
  nextKey(): Tensor {
    const keys = split(this.state.value);
    this.state.assign(keyAt(keys, 0));
    return keyAt(keys, 1);
  }

  /** Uniform f32 numbers in [min, max) of `shape`. */
  uniform(shape: readonly number[] = [], options: UniformOptions = {}): Tensor {
    return uniform(this.nextKey(), shape, options);
  }

  /** Normal f32 numbers of `shape`. */
  normal(shape: readonly number[] = [], options: NormalOptions = {}): Tensor {
    return normal(this.nextKey(), shape, options);
  }

  /** bool values of `shape`, each true with probability `p`. */
  bernoulli(p: number, shape: readonly number[] = []): Tensor {
    return bernoulli(this.nextKey(), p, shape);
  }

  toString(): string {
    return `Generator (state ${this.state.name} ${formatShape(this.state.shape)})`;
  }
}

/** A Generator seeded with `seed` (`tf.random.Generator.from_seed`). */
export function generator(seed: number, options?: GeneratorOptions): Generator {
  return new Generator(seed, options);
}
