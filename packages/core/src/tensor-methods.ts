/**
 * @file Method chaining on Tensor (`x.add(y).relu()`): each method forwards to the op function of
 * the same name. Kept apart from tensor.ts so the Tensor class does not depend on the ops.
 */
import { Tensor } from './tensor.ts';
import type { DType } from './dtype.ts';
import * as ops from './ops/api.ts';
import type { TensorLike } from './ops/api.ts';
import { softmax, logSoftmax } from './nn.ts';

type Axes = number | readonly number[];

declare module './tensor.ts' {
  interface Tensor {
    add(b: TensorLike): Tensor;
    sub(b: TensorLike): Tensor;
    mul(b: TensorLike): Tensor;
    div(b: TensorLike): Tensor;
    pow(b: TensorLike): Tensor;
    maximum(b: TensorLike): Tensor;
    minimum(b: TensorLike): Tensor;
    mod(b: TensorLike): Tensor;
    equal(b: TensorLike): Tensor;
    notEqual(b: TensorLike): Tensor;
    less(b: TensorLike): Tensor;
    lessEqual(b: TensorLike): Tensor;
    greater(b: TensorLike): Tensor;
    greaterEqual(b: TensorLike): Tensor;
    logicalAnd(b: TensorLike): Tensor;
    logicalOr(b: TensorLike): Tensor;
    logicalNot(): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    expm1(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    square(): Tensor;
    reciprocal(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    leakyRelu(alpha?: number): Tensor;
    gelu(options?: { approximate?: boolean }): Tensor;
    erf(): Tensor;
    softplus(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    stopGradient(): Tensor;
    cast(dtype: DType): Tensor;
    print(label?: string): Tensor;
    sum(axes?: Axes, keepDims?: boolean): Tensor;
    mean(axes?: Axes, keepDims?: boolean): Tensor;
    max(axes?: Axes, keepDims?: boolean): Tensor;
    min(axes?: Axes, keepDims?: boolean): Tensor;
    prod(axes?: Axes, keepDims?: boolean): Tensor;
    argmax(axes?: Axes, keepDims?: boolean): Tensor;
    argmin(axes?: Axes, keepDims?: boolean): Tensor;
    logSumExp(axes?: Axes, keepDims?: boolean): Tensor;
    reshape(shape: readonly number[]): Tensor;
    transpose(perm?: readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    expandDims(axis?: number): Tensor;
    squeeze(axes?: Axes): Tensor;
    slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor;
    gather(indices: TensorLike, axis?: number): Tensor;
    matmul(b: TensorLike, options?: { transposeA?: boolean; transposeB?: boolean }): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
  }
}

const forwarded = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'mod',
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
  'logicalAnd',
  'logicalOr',
  'logicalNot',
  'neg',
  'abs',
  'sign',
  'exp',
  'log',
  'log1p',
  'expm1',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'leakyRelu',
  'gelu',
  'erf',
  'softplus',
  'floor',
  'ceil',
  'round',
  'stopGradient',
  'cast',
  'print',
  'sum',
  'mean',
  'max',
  'min',
  'prod',
  'argmax',
  'argmin',
  'logSumExp',
  'reshape',
  'transpose',
  'broadcastTo',
  'expandDims',
  'squeeze',
  'slice',
  'gather',
  'matmul',
] as const satisfies readonly (keyof typeof ops & keyof Tensor)[];

const proto = Tensor.prototype as unknown as Record<string, unknown>;
for (const name of forwarded) {
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
