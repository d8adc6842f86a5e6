/**
 * @file Method chaining on Tensor (`x.add(y).relu()`): each method forwards to the op function of
 * the same name, with the tensor as its first argument. The method list is the op families plus
 * a few compositions, and each method's type is derived from its function's, so neither is kept
 * by hand. Kept apart from tensor.ts so the Tensor class does not depend on the ops.
 */
import { Tensor } from './tensor.ts';
import * as ops from './ops/api.ts';
import type { TensorLike } from './ops/api.ts';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from './ops/names.ts';
import { softmax, logSoftmax } from './nn.ts';

const METHODS = [
  ...UNARY_OPS,
  ...BINARY_OPS,
  ...REDUCE_OPS,
  'cast',
  'print',
  'mean',
  'logSumExp',
  'reshape',
  'transpose',
  'broadcastTo',
  'expandDims',
  'squeeze',
  'slice',
  'gather',
  'matmul',
] as const satisfies readonly (keyof typeof ops)[];

/** `op(x, ...rest)` as the method `x.op(...rest)`. */
type Method<F> = F extends (x: TensorLike, ...rest: infer R) => Tensor ? (...rest: R) => Tensor : never;

/** The Tensor methods that forward to op functions. */
export type OpMethods = { [K in (typeof METHODS)[number]]: Method<(typeof ops)[K]> };

declare module './tensor.ts' {
  interface Tensor extends OpMethods {
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
  }
}

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of METHODS) {
  const op = ops[name] as (self: Tensor, ...rest: unknown[]) => Tensor;
  proto[name] = function (this: Tensor, ...rest: unknown[]) {
    return op(this, ...rest);
  };
}
proto.softmax = function (this: Tensor, axis?: number) {
  return softmax(this, axis);
};
proto.logSoftmax = function (this: Tensor, axis?: number) {
  return logSoftmax(this, axis);
};
