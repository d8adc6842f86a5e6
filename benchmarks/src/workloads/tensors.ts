/**
 * @file Moving data between Kiln and TensorFlow.js, and flattening outputs to one Float32Array,
 * so that both frameworks start from the same numbers and the check compares like with like.
 */
import { flatten, Tensor, Variable } from 'kiln-jit';
import type * as tfjs from '@tensorflow/tfjs-core';
import type { PeerProgram, Tf } from './types.ts';

/** Every tensor (or variable) leaf of `output`, flattened and concatenated in leaf order. */
export function readTensors(output: unknown): Float32Array {
  const leaves = flatten(output, (x) => x instanceof Tensor || x instanceof Variable)
    .leaves.map((x) => (x instanceof Variable ? x.read() : x))
    .filter((x): x is Tensor => x instanceof Tensor)
    .map((t) => t.dataSync());
  return concatArrays(leaves);
}

export function concatArrays(parts: readonly ArrayLike<number>[]): Float32Array {
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
