/**
 * @file Loop nests over strided operands. An operand is a base address plus an element stride per
 * loop dimension (0 where it is broadcast). Adjacent dimensions that every operand walks
 * contiguously collapse into one, so most kernels end up with one or two loops.
 */
import type { ExpressionRef } from '../binaryen.ts';
import type { Vec } from '../function-builder.ts';
import type { KernelBuilder } from './module-context.ts';

export interface Strided {
  /** Base byte address. */
  base: Vec;
  /** Bytes per element. */
  bytes: number;
  /** Element stride per dimension of the nest. */
  strides: readonly number[];
}

/**
 * Drops size-1 dimensions and merges neighbours every operand walks as one (stride[d] ==
 * stride[d+1] * size[d+1]). Returns the new sizes and each operand's new strides.
 */
export function collapse(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const keep = shape.map((d, i) => i).filter((i) => shape[i] !== 1);
  let dims = keep.map((i) => shape[i]!);
  let ss = strides.map((s) => keep.map((i) => s[i]!));
  for (let d = dims.length - 2; d >= 0; d--) {
    if (ss.every((s) => s[d] === s[d + 1]! * dims[d + 1]!)) {
      dims = [...dims.slice(0, d), dims[d]! * dims[d + 1]!, ...dims.slice(d + 2)];
      ss = ss.map((s) => [...s.slice(0, d), s[d + 1]!, ...s.slice(d + 2)]);
    }
  }
  return { shape: dims, strides: ss };
}

/** The address of an operand at element offset `index` (an i32 expression) along a stride. */
export function addressAt(b: KernelBuilder, op: Strided, stride: number, index: ExpressionRef): ExpressionRef {
  if (stride === 0) return op.base();
  return b.mod.i32.add(op.base(), b.mod.i32.mul(index, b.i32(stride * op.bytes)));
}

/** The part [lo, hi) of a kernel's outermost loop one thread runs. */
export interface LoopRange {
  lo: Vec;
  hi: Vec;
}

/**
 * Emits loops over `shape` (all but the last dimension), giving `inner` operands whose bases
 * point at the start of each innermost row. `inner` builds the statements for one row. With
 * `range`, the outermost of those loops runs [lo, hi) only.
 */
export function outerLoops(
  b: KernelBuilder,
  shape: readonly number[],
  operands: readonly Strided[],
  inner: (rowOperands: Strided[]) => ExpressionRef[],
  range?: LoopRange,
): ExpressionRef[] {
  const level = (d: number, ops: Strided[]): ExpressionRef[] => {
    if (d >= shape.length - 1) return inner(ops);
    const i = b.local(b.binaryen.i32);
    const stmts: ExpressionRef[] = [];
    const next = ops.map((op) => {
      if (op.strides[d] === 0) return { ...op, strides: op.strides };
      const [set, get] = b.keep(addressAt(b, op, op.strides[d]!, i.get()), b.binaryen.i32);
      stmts.push(set);
      return { ...op, base: get };
    });
    const [lo, hi] = d === 0 && range ? [range.lo(), range.hi()] : [b.i32(0), b.i32(shape[d]!)];
    return [b.loop(i, lo, hi, 1, [...stmts, ...level(d + 1, next)])];
  };
  return level(0, [...operands]);
}
