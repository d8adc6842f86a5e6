/**
 * @file The activation functions: op functions of unary primitives, exported both as ops
 * (`relu(x)`, `x.relu()`) and from the `nn` namespace (`nn.relu`).
 */
import type { Tensor } from '../tensor.ts';
import { bind } from '../context.ts';
import { asTensor, unary, type TensorLike } from './convert.ts';

/** max(x, 0); NaN stays NaN. */
export const relu = (x: TensorLike): Tensor => unary('relu', x);
/** x for x > 0, else alpha * x. */
export const leakyRelu = (x: TensorLike, alpha = 0.2): Tensor =>
  bind('leakyRelu', [asTensor(x, 'leakyRelu')], { alpha });
/** GELU; `approximate` (default true, as in JAX) uses the tanh form, false the exact erf form. */
export const gelu = (x: TensorLike, options: { approximate?: boolean } = {}): Tensor =>
  bind('gelu', [asTensor(x, 'gelu')], { approximate: options.approximate ?? true });
/** 1 / (1 + exp(-x)) */
export const sigmoid = (x: TensorLike): Tensor => unary('sigmoid', x);
export const tanh = (x: TensorLike): Tensor => unary('tanh', x);
/** log(1 + exp(x)), without overflow. */
export const softplus = (x: TensorLike): Tensor => unary('softplus', x);
/** x·sigmoid(x), also called swish (PyTorch's `silu`, JAX's `nn.silu`). */
export const silu = (x: TensorLike): Tensor => unary('silu', x);
/** relu6(x + 3) / 6: 0 up to -3, 1 from 3, linear between (PyTorch's `hardsigmoid`, JAX's `nn.hard_sigmoid`). */
export const hardSigmoid = (x: TensorLike): Tensor => unary('hardSigmoid', x);
