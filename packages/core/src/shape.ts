/**
 * @file Shape arithmetic: sizes, strides, broadcasting, axis normalization, the size limit.
 */
import { KilnShapeError } from './errors.ts';

export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

/**
 * The most elements a tensor may have: i32 indices (argmax, gather) and WebAssembly's 32-bit
 * addresses must reach every element.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** Throws a KilnShapeError naming `op` and the shape when a tensor of `shape` would be too large to hold. */
export function checkTensorSize(op: string, shape: Shape): void {
  const size = sizeOf(shape);
  if (size <= MAX_TENSOR_ELEMENTS) return;
  throw new KilnShapeError(
    `${op}: shape ${formatShape(shape)} has ${size} elements, more than a tensor can hold ` +
      `(at most ${MAX_TENSOR_ELEMENTS}, 2^31 - 1)`,
  );
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes, or null when they are incompatible. */
export function broadcastShapes(a: Shape, b: Shape): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** True if `from` broadcasts to exactly `to`. */
export function broadcastsTo(from: Shape, to: Shape): boolean {
  const b = broadcastShapes(from, to);
  return b !== null && shapesEqual(b, to);
}

/**
 * Strides for reading an input of shape `inShape` while iterating the (broadcast) output shape
 * `outShape`: 0 along broadcast dimensions.
 */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const strides = stridesOf(inShape);
  const offset = outShape.length - inShape.length;
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < inShape.length; i++) out[offset + i] = inShape[i] === 1 ? 0 : strides[i]!;
  return out;
}

/** Formats a shape as `[2,3]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Normalizes one possibly negative axis; returns null when it is out of range. */
export function normalizeAxis(axis: number, rank: number): number | null {
  if (!Number.isInteger(axis)) return null;
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : null;
}

/** Dimensions of `shape` that a reduction over `axes` keeps, with or without size-1 placeholders. */
export function reducedShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (!axes.includes(i)) out.push(shape[i]!);
    else if (keepDims) out.push(1);
  }
  return out;
}

/** The shape with its last axis reduced to 1: one value per row, as a row reduction with keepDims gives. */
export function rowShape(shape: readonly number[]): number[] {
  return [...shape.slice(0, -1), 1];
}
