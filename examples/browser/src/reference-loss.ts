/**
 * @file The MLP's loss in plain JavaScript (float64 loops over the weights copied out of Kiln): an
 * independent reference the page checks Kiln's eager and traced losses against.
 */
import type { Tensor } from 'kiln-jit';
import type { Layer } from '../../spirals.ts';

/** Mean softmax cross-entropy of a relu MLP with these weights on points `x` [n, 2] and labels `y`. */
export function referenceLoss(layers: readonly Layer[], x: Tensor, y: Tensor): number {
  const points = x.dataSync();
  const labels = y.dataSync();
  const n = x.shape[0]!;
  const weights = layers.map(({ w, b }) => ({ w: w.value.dataSync(), b: b.value.dataSync(), out: b.value.shape[0]! }));
  let total = 0;
  for (let i = 0; i < n; i++) {
    let h = [points[2 * i]!, points[2 * i + 1]!];
    weights.forEach(({ w, b, out }, layer) => {
      const z = Array.from({ length: out }, (_, j) => h.reduce((s, hk, k) => s + hk * w[k * out + j]!, b[j]!));
      h = layer < weights.length - 1 ? z.map((v) => Math.max(0, v)) : z;
    });
    const top = Math.max(...h);
    const logSum = top + Math.log(h.reduce((s, v) => s + Math.exp(v - top), 0));
    total += logSum - h[labels[i]!]!;
  }
  return total / n;
}
