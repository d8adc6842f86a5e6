/**
 * @file The checks shape/dtype rules are built from: arity, dtype classes, broadcasting, axes,
 * permutations. Eager execution, tracing and the IR verifier all run the same rules, so a bad
 * program fails the same way everywhere, before anything runs.
 */
import type { DType } from '../dtype.ts';
import { KilnArgumentError, KilnDTypeError, KilnShapeError } from '../errors.ts';
import { broadcastShapes, formatShape } from '../shape.ts';
import type { TensorType } from './rules.ts';

export type { TensorType, ShapeRule } from './rules.ts';

export function typeString(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

export function typesString(inputs: readonly TensorType[]): string {
  return inputs.map(typeString).join(', ');
}

export function checkArity(op: string, inputs: readonly TensorType[], n: number): void {
  if (inputs.length !== n) throw new KilnArgumentError(`${op}: expects ${n} input(s), got ${inputs.length}`);
}

export function isIntList(xs: unknown, length?: number): xs is number[] {
  return Array.isArray(xs) && xs.every((x) => Number.isInteger(x)) && (length === undefined || xs.length === length);
}

/** The dtypes an operand may have. */
export type DTypeClass = 'float' | 'numeric' | 'bool' | 'any';
const DTYPE_CLASSES: Record<DTypeClass, readonly DType[]> = {
  float: ['f32'],
  numeric: ['f32', 'i32'],
  bool: ['bool'],
  any: ['f32', 'i32', 'bool'],
};

export function checkDType(op: string, t: TensorType, cls: DTypeClass): void {
  if (!DTYPE_CLASSES[cls].includes(t.dtype)) {
    const want = DTYPE_CLASSES[cls].join(' or ');
    throw new KilnDTypeError(
      `${op}: expects ${want}, got ${typeString(t)}` + (cls === 'float' ? '; cast(x, "f32") first' : ''),
    );
  }
}

export function sameDType(op: string, a: TensorType, b: TensorType): void {
  if (a.dtype !== b.dtype) {
    throw new KilnDTypeError(
      `${op}: dtypes differ: ${typeString(a)} and ${typeString(b)}; cast one with cast(x, dtype)`,
    );
  }
}

/** The shape all inputs broadcast to, or a KilnShapeError naming them. */
export function broadcastAll(op: string, inputs: readonly TensorType[]): number[] {
  let shape: number[] | null = [...inputs[0]!.shape];
  for (const t of inputs.slice(1)) {
    shape = broadcastShapes(shape, t.shape);
    if (shape === null) throw new KilnShapeError(`${op}: shapes ${typesString(inputs)} cannot be broadcast together`);
  }
  return shape;
}

export function checkAxes(op: string, t: TensorType, axes: unknown): asserts axes is number[] {
  const ok = isIntList(axes) && axes.every((a, i) => a >= 0 && a < t.shape.length && (i === 0 || a > axes[i - 1]!));
  if (!ok)
    throw new KilnArgumentError(`${op}: axes ${JSON.stringify(axes)} are not sorted distinct axes of ${typeString(t)}`);
}

export function checkPermutation(op: string, t: TensorType, perm: unknown): asserts perm is number[] {
  const ok = isIntList(perm, t.shape.length) && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok)
    throw new KilnArgumentError(
      `${op}: perm ${JSON.stringify(perm)} is not a permutation of the axes of ${typeString(t)}`,
    );
}

export function checkShapeAttr(op: string, shape: unknown): asserts shape is number[] {
  if (!isIntList(shape) || shape.some((d) => d < 0)) {
    throw new KilnArgumentError(`${op}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
}

/** [rows, cols] of the last two dimensions, after an optional transpose. */
export function matrixDims(shape: readonly number[], transposed: boolean): [number, number] {
  const r = shape[shape.length - 2]!;
  const c = shape[shape.length - 1]!;
  return transposed ? [c, r] : [r, c];
}
