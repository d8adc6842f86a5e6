/**
 * @file The kinds of fused node the fusion pass makes, as `fused.<kind>` ops: one name list for
 * the pass, the parser, the memory policies, the lowering table and the CLI.
 *
 *   elementwise  elementwise ops over one output shape (inputs may broadcast into it)
 *   rows         elementwise ops over [..., C] and [..., 1] plus reductions over the last axis
 *                (keepDims): softmax, layernorm, logSumExp run row by row
 *   reduce       one reduction over any axes, with elementwise producers over its input shape
 *                and elementwise consumers over its output shape: sum(square(x - m))
 *   matmul       a matmul and an elementwise epilogue over its output (bias, relu, gelu)
 *   conv2d       a conv2d and an elementwise epilogue over its output (bias, relu, batch-norm
 *                scale and shift)
 */

export const FUSION_KINDS = ['elementwise', 'rows', 'reduce', 'matmul', 'conv2d'] as const;
export type FusionKind = (typeof FUSION_KINDS)[number];

/** The op of a fused node. */
export type FusedOp = `fused.${FusionKind}`;

export function fusedOp(kind: FusionKind): FusedOp {
  return `fused.${kind}`;
}

/** The kind of a fused node's op, or null for any other op. */
export function fusionKindOf(op: string): FusionKind | null {
  const kind = op.startsWith('fused.') ? op.slice('fused.'.length) : '';
  return (FUSION_KINDS as readonly string[]).includes(kind) ? (kind as FusionKind) : null;
}

export function isFusedOp(op: string): op is FusedOp {
  return fusionKindOf(op) !== null;
}
