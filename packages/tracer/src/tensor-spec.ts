/**
 * @file Tensor specs: `{ shape, dtype }` stand-ins for tensors, used by `inputSignature` and by
 * `.ir()` / `.lower()` to trace without data.
 */
import { isDType, type DType } from '@kiln-jit/core';

export interface TensorSpec {
  readonly shape: readonly number[];
  readonly dtype?: DType;
}

/** True for a plain `{ shape, dtype? }` object (and nothing else). */
export function isTensorSpec(x: unknown): x is TensorSpec {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || Object.getPrototypeOf(x) !== Object.prototype)
    return false;
  const keys = Object.keys(x);
  const { shape, dtype } = x as { shape?: unknown; dtype?: unknown };
  return (
    keys.every((k) => k === 'shape' || k === 'dtype') &&
    Array.isArray(shape) &&
    shape.every((d) => Number.isInteger(d) && d >= 0) &&
    (dtype === undefined || isDType(dtype))
  );
}

/** Parses `f32[128,784]` (the printed type form) into a spec. */
export function parseSpec(text: string): TensorSpec | null {
  const m = /^(f32|i32|bool)\[([0-9,\s]*)\]$/.exec(text.trim());
  if (!m) return null;
  const dims = m[2]!.trim() === '' ? [] : m[2]!.split(',').map((d) => Number(d.trim()));
  return dims.every((d) => Number.isInteger(d) && d >= 0) ? { dtype: m[1] as DType, shape: dims } : null;
}
