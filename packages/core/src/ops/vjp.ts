/**
 * @file Building blocks of the gradient rules the op families define: the chain rule for an
 * elementwise op, "no gradient", and undoing a reduction's or a broadcast's shape change.
 */
import type { Tensor } from '../tensor.ts';
import type { OpAttrs, OpName } from './names.ts';
import type { VjpRule } from './rules.ts';
import { broadcastTo, mul, reshape } from './api.ts';

export type { VjpRule } from './rules.ts';

/** The rule of an op with one input that gets no gradient (piecewise constant, or boolean). */
export const noGradient = (): null[] => [null];

/** The rule of an op none of whose inputs gets a gradient. */
export const noGradients = (_g: Tensor, inputs: readonly Tensor[]): null[] => inputs.map(() => null);

/** A rule for an elementwise unary op from its derivative dy/dx (given x and y = f(x)). */
export function chain<K extends OpName>(derivative: (x: Tensor, y: Tensor, attrs: OpAttrs[K]) => Tensor): VjpRule<K> {
  return (g, [x], y, attrs) => [mul(g, derivative(x!, y, attrs))];
}

/** Reverses a reduction's shape change: g broadcast back over the reduced axes of x. */
export function unreduce(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return broadcastTo(reshape(g, kept), x.shape);
}
