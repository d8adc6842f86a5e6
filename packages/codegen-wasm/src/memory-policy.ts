/**
 * @file What the Wasm kernels allow the memory planner: which inputs a kernel's output may
 * overwrite, and which kernels may stop a call partway (through the `fail` import).
 */
import { checksIndices, isElementwise, matrixDims } from '@kiln-jit/core';
import {
  fusionKindOf,
  sameShapeInputs,
  type FusionKind,
  type MemoryPolicy,
  type Node,
  type Value,
} from '@kiln-jit/tracer';
import { matmulKBlocks } from './kernels/matmul.ts';
import { partsOf } from './lower/matmul-lowering.ts';

/**
 * Per fusion kind: may the output take a same-shape input's storage? Strided maps and row kernels
 * read every input element of an index (a row kernel: of a row) before writing it. A convolution
 * runs on the matmul kernel, which keeps partial sums in its output between k blocks, so neither
 * may share storage with an operand; a fused matmul's epilogue input is the one exception below.
 */
const FUSED_IN_PLACE: { readonly [K in FusionKind]: boolean } = {
  elementwise: true,
  rows: true,
  reduce: true,
  matmul: false,
  conv2d: false,
};

/**
 * A fused matmul's epilogue inputs of the output's shape, when k is one block: each output element
 * is then written once, by the epilogue, just after it read that same element of them (the SGD
 * step's `w - lr * x^T g` so updates w in its own storage). Never A or B, read throughout.
 */
function epilogueInPlaceInputs(node: Node): readonly Value[] {
  const parts = partsOf(node);
  const [a, b] = parts.matmul.inputs as [Value, Value];
  const k = matrixDims(a.type.shape, parts.matmul.attrs.transposeA === true)[1];
  const oneBlock = [false, true].every((fma) => matmulKBlocks(k, { fma }) === 1);
  if (!oneBlock || node.output.type.shape.length !== 2) return [];
  const params = node.body!.params.map((p) => p.value);
  const operands = new Set([a, b].map((v) => node.inputs[params.indexOf(v)]));
  const epilogueReads = new Set(parts.extra);
  return sameShapeInputs(node).filter(
    (input) => !operands.has(input) && epilogueReads.has(params[node.inputs.indexOf(input)]!),
  );
}

function inPlaceInputs(node: Node): readonly Value[] {
  const kind = fusionKindOf(node.op);
  if (kind === 'matmul') return epilogueInPlaceInputs(node);
  if (kind !== null) return FUSED_IN_PLACE[kind] ? sameShapeInputs(node) : [];
  return isElementwise(node.op) ? sameShapeInputs(node) : [];
}

export const wasmMemoryPolicy: MemoryPolicy = {
  name: 'wasm',
  inPlaceInputs,
  // gather and scatterAdd check their indices and call `fail` on a bad one.
  mayFail: (node) => checksIndices(node.op),
};
