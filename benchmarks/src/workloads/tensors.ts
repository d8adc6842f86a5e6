/**
 * @file Moving data from Kiln to TensorFlow.js and jax-js, and flattening outputs to one Float32Array,
 * so that both frameworks start from the same numbers and the check compares like with like.
 */
import { flatten, Tensor, Variable } from 'kiln-jit';
import type { Array as JaxArray } from '@jax-js/jax';
import type * as tfjs from '@tensorflow/tfjs-core';
import type { Jax, PeerProgram, Tf } from './types.ts';

/** Every tensor (or variable) leaf of `output`, flattened and concatenated in leaf order. */
export function readTensors(output: unknown): Float32Array {
  const leaves = flatten(output, (x) => x instanceof Tensor || x instanceof Variable)
    .leaves.map((x) => (x instanceof Variable ? x.read() : x))
    .filter((x): x is Tensor => x instanceof Tensor)
    .map((t) => t.dataSync());
  return concatArrays(leaves);
}

/**
 * The parts end to end. One Float32Array part is returned as it is: a read of a single result is
 * the one fresh array the user gets, with no copy on top (the same for every mode).
 */
export function concatArrays(parts: readonly ArrayLike<number>[]): Float32Array {
  if (parts.length === 1 && parts[0] instanceof Float32Array) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** The same values as a TensorFlow.js tensor. */
export function toTf(tf: Tf, t: Tensor): tfjs.Tensor {
  return tf.tensor(t.dataSync(), [...t.shape], t.dtype === 'i32' ? 'int32' : 'float32');
}

/**
 * A peer program: `compute` runs inside tf.tidy and its outputs are read back (dataSync) and
 * disposed, so each call leaves no tensors behind and pays for the read-back as Kiln does.
 * `owned` are the long-lived tensors and variables released by dispose().
 */
export function tfProgram(
  tf: Tf,
  compute: () => tfjs.Tensor | tfjs.Tensor[],
  owned: readonly { dispose(): void }[],
): PeerProgram {
  return {
    run() {
      const out = tf.tidy(compute);
      const list = Array.isArray(out) ? out : [out];
      const values = concatArrays(list.map((t) => t.dataSync()));
      tf.dispose(list);
      return values;
    },
    dispose() {
      for (const t of owned) t.dispose();
    },
  };
}

/** The same values as a jax-js array on its default device (wasm). */
export function toJax(jax: Jax, t: Tensor): JaxArray {
  const dtype = t.dtype === 'i32' ? jax.numpy.int32 : jax.numpy.float32;
  return jax.numpy.array(t.dataSync(), { shape: [...t.shape], dtype });
}

/**
 * A jax-js peer program. jax-js arrays are reference-counted and every call consumes its
 * arguments, so `compute` passes `.ref`s of what it keeps. Its outputs are read with dataSync,
 * which submits every kernel the jit call left pending (all outputs of one call share them, so
 * reading the loss also runs the weight updates) and frees the output: the timed call pays for
 * jax-js's lazy execution and its read-back, as Kiln's and tfjs's do.
 */
export function jaxProgram(
  compute: () => JaxArray | JaxArray[],
  owned: () => readonly { dispose(): void }[],
): PeerProgram {
  return {
    run() {
      const out = compute();
      return concatArrays((Array.isArray(out) ? out : [out]).map((a) => a.dataSync()));
    },
    dispose() {
      for (const x of owned()) x.dispose();
    },
  };
}
