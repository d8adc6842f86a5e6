/**
 * @file How op functions take their arguments: anything tensor-like becomes a Tensor, and a plain
 * number takes the dtype of the tensor it meets (weak typing, as in JAX).
 */
import type { DType, TypedArray } from '../dtype.ts';
import { KilnArgumentError, KilnDTypeError } from '../errors.ts';
import { Tensor, type NestedArray } from '../tensor.ts';
import { Variable } from '../variable.ts';
import { bind } from '../context.ts';
import { scalar, tensor } from '../creation.ts';
import type { UnaryOp } from './names.ts';

/** Anything an op accepts where it needs a tensor. */
export type TensorLike = Tensor | Variable | number | boolean | TypedArray | NestedArray[];

function describeValue(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object') return `an object (${x.constructor?.name ?? 'Object'})`;
  if (typeof x === 'function') return 'a function';
  // JSON.stringify quotes strings, but returns undefined for symbols and throws on bigints.
  return `${typeof x} ${typeof x === 'string' ? JSON.stringify(x) : String(x)}`;
}

/** Converts an op argument to a tensor; plain numbers take `numberDType`. */
export function asTensor(x: TensorLike, op: string, position = 'argument', numberDType: DType = 'f32'): Tensor {
  if (x instanceof Tensor) return x;
  if (x instanceof Variable) return x.value;
  if (typeof x === 'number') {
    checkIntegral(op, position, [x], numberDType);
    return scalar(x, numberDType === 'bool' ? 'f32' : numberDType);
  }
  if (typeof x === 'boolean') return scalar(x, 'bool');
  if (Array.isArray(x) || ArrayBuffer.isView(x)) {
    if (!Array.isArray(x) || numberDType === 'bool') return tensor(x);
    checkIntegral(op, position, (x as unknown[]).flat(Infinity), numberDType);
    return tensor(x as NestedArray[], undefined, numberDType);
  }
  throw new KilnArgumentError(
    `${op}: ${position} must be a tensor, variable, number or array; got ${describeValue(x)}`,
  );
}

/** A plain number meeting an i32 tensor must be an integer: truncating it silently would be a wrong answer. */
function checkIntegral(op: string, position: string, values: unknown[], dtype: DType): void {
  if (dtype !== 'i32') return;
  const bad = values.find((v) => typeof v === 'number' && !Number.isInteger(v));
  if (bad !== undefined) {
    throw new KilnDTypeError(
      `${op}: ${position} ${bad} is not an integer but meets an i32 tensor; cast the tensor with cast(x, "f32") first`,
    );
  }
}

function concreteDType(x: TensorLike): DType | undefined {
  if (x instanceof Tensor || x instanceof Variable) return x.dtype;
  return undefined;
}

/** Converts two operands; a plain number adopts the other operand's dtype. */
export function operands(op: string, a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const x = asTensor(a, op, 'first argument', concreteDType(b));
  return [x, asTensor(b, op, 'second argument', x.dtype)];
}

/** Binds a unary op without attributes on one converted operand. */
export function unary(op: UnaryOp, x: TensorLike): Tensor {
  return bind(op, [asTensor(x, op)], {});
}
