/**
 * @file What the Wasm kernels allow the memory planner: which inputs a kernel's output may
 * overwrite, and which kernels may stop a call partway (through the `fail` import).
 */
import { checksIndices, isElementwise } from '@kiln-jit/core';
import {
  fusionKindOf,
  sameShapeInputs,
  type FusionKind,
  type MemoryPolicy,
  type Node,
  type Value,
} from '@kiln-jit/tracer';

/**
 * Per fusion kind: may the output take a same-shape input's storage? Strided maps and row kernels
 * read every input element of an index (a row kernel: of a row) before writing it. The matmul
 * kernel keeps partial sums in its output between k blocks, so it must never share storage with
 * an operand, epilogue inputs included; nor must a convolution's, which runs on it.
 */
const FUSED_IN_PLACE: { readonly [K in FusionKind]: boolean } = {
  elementwise: true,
  rows: true,
  reduce: true,
  matmul: false,
  conv2d: false,
};

function inPlaceInputs(node: Node): readonly Value[] {
  const kind = fusionKindOf(node.op);
  if (kind !== null) return FUSED_IN_PLACE[kind] ? sameShapeInputs(node) : [];
  return isElementwise(node.op) ? sameShapeInputs(node) : [];
}

export const wasmMemoryPolicy: MemoryPolicy = {
  name: 'wasm',
  inPlaceInputs,
  // gather and scatterAdd check their indices and call `fail` on a bad one.
  mayFail: (node) => checksIndices(node.op),
};
