/**
 * @file The elementwise workhorse: out[i] = f(inputs at i) over an iteration shape, where each
 * operand has its own strides (broadcasting, transposes, slices and padding are all strides).
 * The innermost loop runs four lanes at a time when the output is contiguous and every input is
 * contiguous or broadcast there; the remainder, or any other innermost pattern, runs one
 * element at a time through the same vector code.
 */
import { broadcastStrides, stridesOf, type DType } from '@kiln-jit/core';
import type { ExpressionRef } from '../binaryen.ts';
import type { Vec } from '../function-builder.ts';
import type { KernelBuilder } from './module-context.ts';
import { elementBytes, loadSplat, loadVector, storeOne, storeVector } from './lanes.ts';
import { addressAt, collapse, outerLoops, type LoopRange, type Strided } from './loop-nest.ts';

export interface MapOperand {
  base: Vec;
  dtype: DType;
  /** Element strides per dimension of the iteration shape. */
  strides: readonly number[];
}

/** Builds the output vector from the input vectors, pushing any statements it needs. */
export type MapCompute = (inputs: Vec[], stmts: ExpressionRef[]) => ExpressionRef;

export interface MapSpec {
  shape: readonly number[];
  output: MapOperand;
  inputs: readonly MapOperand[];
  compute: MapCompute;
}

function toStrided(op: MapOperand, strides: readonly number[]): Strided {
  return { base: op.base, bytes: elementBytes(op.dtype), strides };
}

/** Loads an input for the vector (4 lanes) or single-element path at innermost index j. */
function loadInput(
  b: KernelBuilder,
  op: Strided,
  dtype: DType,
  stride: number,
  j: Vec,
  lanes: 1 | 4,
  hoisted: Vec | null,
): ExpressionRef {
  if (hoisted) return hoisted();
  const ptr = addressAt(b, op, stride, j());
  return lanes === 4 ? loadVector(b, dtype, ptr) : loadSplat(b, dtype, ptr);
}

/** One innermost row: a vector loop plus a one-element tail, or a scalar loop. */
function innerRow(b: KernelBuilder, spec: MapSpec, ops: Strided[], n: number, last: number): ExpressionRef[] {
  const [out, ...ins] = ops;
  const i32 = b.binaryen.i32;
  const inStrides = ins.map((op) => op.strides[last]!);
  const outStride = out!.strides[last]!;
  const vectorizable = outStride === 1 && inStrides.every((s) => s === 0 || s === 1);
  const stmts: ExpressionRef[] = [];
  // Broadcast inputs are loaded once per row.
  const hoisted = ins.map((op, k) => {
    if (inStrides[k] !== 0) return null;
    const [set, get] = b.keep(loadSplat(b, spec.inputs[k]!.dtype, op.base()));
    stmts.push(set);
    return get;
  });
  const j = b.local(i32);
  const jGet: Vec = () => j.get();
  const body = (lanes: 1 | 4): ExpressionRef[] => {
    const bodyStmts: ExpressionRef[] = [];
    const values = ins.map((op, k) => {
      const [set, get] = b.keep(loadInput(b, op, spec.inputs[k]!.dtype, inStrides[k]!, jGet, lanes, hoisted[k]!));
      if (!hoisted[k]) bodyStmts.push(set);
      return hoisted[k] ?? get;
    });
    const result = spec.compute(values, bodyStmts);
    const ptr = addressAt(b, out!, outStride, jGet());
    const dtype = spec.output.dtype;
    bodyStmts.push(lanes === 4 ? storeVector(b, dtype, ptr, result) : storeOne(b, dtype, ptr, result));
    return bodyStmts;
  };
  const vectorEnd = vectorizable ? n - (n % 4) : 0;
  if (vectorEnd > 0) stmts.push(b.loop(j, b.i32(0), b.i32(vectorEnd), 4, body(4)));
  if (vectorEnd < n) stmts.push(b.loop(j, b.i32(vectorEnd), b.i32(n), 1, body(1)));
  return stmts;
}

/**
 * A one-loop map is cut into chunks a thread takes whole: the largest power of two from 4 to
 * 2048 elements that divides it (a multiple of 4, so the vector loop has no tail per chunk).
 */
function chunkOf(n: number): number | null {
  for (let c = 2048; c >= 4; c /= 2) if (n % c === 0 && n / c >= 2) return c;
  return null;
}

/** The loops of a map (all but the innermost become outer loops), chunked when it is to be split. */
function mapLoops(spec: MapSpec, split: boolean): { dims: number[]; ops: Strided[] } {
  const all = [spec.output, ...spec.inputs];
  const { shape, strides } = collapse(
    spec.shape,
    all.map((op) => op.strides),
  );
  // A 0-d iteration is one element: give it a dimension of size 1.
  const dims = shape.length ? shape : [1];
  const ops = all.map((op, k) => toStrided(op, shape.length ? strides[k]! : [0]));
  const chunk = split && dims.length === 1 ? chunkOf(dims[0]!) : null;
  if (!chunk) return { dims, ops };
  return {
    dims: [dims[0]! / chunk, chunk],
    ops: ops.map((op) => ({ ...op, strides: [op.strides[0]! * chunk, op.strides[0]!] })),
  };
}

/** How many parts a split map's outermost loop has (1: it cannot be split). */
export function stridedMapExtent(spec: MapSpec): number {
  if (spec.shape.some((d) => d === 0)) return 1;
  const { dims } = mapLoops(spec, true);
  return dims.length >= 2 ? dims[0]! : 1;
}

/** Emits the statements of a strided map; with `range`, only that part of stridedMapExtent's. */
export function emitStridedMap(b: KernelBuilder, spec: MapSpec, range?: LoopRange): ExpressionRef[] {
  if (spec.shape.some((d) => d === 0)) return [];
  const { dims, ops } = mapLoops(spec, range !== undefined);
  return outerLoops(b, dims, ops, (rowOps) => innerRow(b, spec, rowOps, dims.at(-1)!, dims.length - 1), range);
}

/** Row-major strides of `shape` (core's stridesOf, under the name the emitters use). */
export const contiguousStrides = stridesOf;

/** Strides of an input broadcast to `outShape`: 0 along broadcast dims (core's broadcastStrides). */
export const broadcastStridesTo = broadcastStrides;
