/**
 * @file Turns reductions (plain or fused) and fused.rows nodes into row programs: which values
 * vary along the row, and how each operand is addressed as [rows, cols].
 */
import { isFoldOp, shapesEqual, type DType } from '@kiln-jit/core';
import type { Node, Value } from '@kiln-jit/tracer';
import type { Vec } from '../function-builder.ts';
import type { RowParam } from './row-kernel.ts';
import { broadcastStridesTo } from './strided-map.ts';

/** One stride for a group of dimensions walked as a single index, or null if they do not merge. */
export function groupStride(sizes: readonly number[], strides: readonly number[]): number | null {
  const dims = sizes.map((s, i) => [s, strides[i]!] as const).filter(([s]) => s !== 1);
  if (dims.length === 0) return 0;
  for (let i = 0; i + 1 < dims.length; i++) if (dims[i]![1] !== dims[i + 1]![1] * dims[i + 1]![0]) return null;
  return dims.at(-1)![1];
}

/**
 * How a tensor of `shape` is read as rows of a [rows, cols] program whose full values have shape
 * `full` (split into rows and cols at `split`) and whose per-row values have shape `perRow`.
 */
export function rowParam(
  base: Vec,
  dtype: DType,
  shape: readonly number[],
  full: readonly number[],
  split: number,
  perRow: readonly number[],
): RowParam {
  const canFull =
    shape.length <= full.length && shape.every((d, i) => d === 1 || d === full[full.length - shape.length + i]);
  const fs = canFull ? broadcastStridesTo(shape, full) : null;
  const sR = fs && groupStride(full.slice(0, split), fs.slice(0, split));
  const sC = fs && groupStride(full.slice(split), fs.slice(split));
  const canRow =
    shape.length <= perRow.length && shape.every((d, i) => d === 1 || d === perRow[perRow.length - shape.length + i]);
  const rs = canRow ? groupStride(perRow, broadcastStridesTo(shape, perRow)) : null;
  return {
    base,
    dtype,
    full: sR !== null && sC !== null ? { sR, sC } : null,
    scalar: rs !== null ? { sR: rs } : null,
  };
}

/**
 * Whether `v` varies along the row: it has the program's full shape. With one column, per-row
 * values have that shape too; then reductions, and values computed only from per-row ones, are
 * per row.
 */
export function fullTester(
  full: readonly number[],
  perRow: readonly number[],
  nodes: readonly Node[],
): (v: Value) => boolean {
  const hasFullShape = (v: Value): boolean => shapesEqual(v.type.shape, full);
  if (!shapesEqual(full, perRow)) return hasFullShape;
  const perRowValues = new Set<Value>();
  const isFull = (v: Value): boolean => hasFullShape(v) && !perRowValues.has(v);
  for (const n of nodes) if (isFoldOp(n.op) || !n.inputs.some(isFull)) perRowValues.add(n.output);
  return isFull;
}

/** The full (largest) shape among a body's node outputs. */
export function largestShape(nodes: readonly Node[]): readonly number[] {
  let best: readonly number[] = [];
  let size = -1;
  for (const n of nodes) {
    const s = n.output.type.shape.reduce((a, d) => a * d, 1);
    if (s > size) [best, size] = [n.output.type.shape, s];
  }
  return best;
}
