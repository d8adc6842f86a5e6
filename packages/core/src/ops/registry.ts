/**
 * @file Every op's rules in one table, assembled from the family tables, and the per-concern views
 * the rest of Kiln reads (shape rules for tracing and verifying, kernels for eager execution and
 * the IR interpreter, VJPs for autodiff).
 */
import { checkTensorSize } from '../shape.ts';
import { OP_NAMES, type OpAttrs, type OpName } from './names.ts';
import type { Kernel, OpRules, ShapeRule, TensorType, VjpRule } from './rules.ts';
import { unaryRules } from './unary.ts';
import { binaryRules } from './binary.ts';
import { reduceRules } from './reduce.ts';
import { layoutRules } from './layout.ts';
import { miscRules } from './misc.ts';

export const opRules: { readonly [K in OpName]: OpRules<K> } = {
  ...unaryRules,
  ...binaryRules,
  ...reduceRules,
  ...layoutRules,
  ...miscRules,
};

type View<R extends keyof OpRules<OpName>> = { readonly [K in OpName]: OpRules<K>[R] };

function view<R extends keyof OpRules<OpName>>(rule: R): View<R> {
  return Object.fromEntries(OP_NAMES.map((op) => [op, opRules[op][rule]])) as unknown as View<R>;
}

export const shapeRules: { readonly [K in OpName]: ShapeRule<K> } = view('shape');
export const kernels: { readonly [K in OpName]: Kernel<K> } = view('kernel');
export const vjpRules: { readonly [K in OpName]: VjpRule<K> } = view('vjp');

/**
 * The output type of `op` applied to `inputs`; throws a KilnError naming the op on a mismatch, or
 * when the output would have more elements than a tensor can hold.
 */
export function inferType<K extends OpName>(op: K, inputs: readonly TensorType[], attrs: OpAttrs[K]): TensorType {
  const type = (shapeRules[op] as ShapeRule<K>)(inputs, attrs);
  checkTensorSize(op, type.shape);
  return type;
}
