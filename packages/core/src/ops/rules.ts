/**
 * @file What every op must define, as types: its shape/dtype rule, its eager kernel and its
 * gradient. Each family module (unary, binary, reduce, layout, misc) fills one table of these
 * over its op names, so the type checker names any op that lacks a rule.
 */
import type { DType } from '../dtype.ts';
import type { Tensor } from '../tensor.ts';
import type { OpAttrs, OpName } from './names.ts';

/** The static type of a tensor: what the IR records for every value. */
export interface TensorType {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

/** From input types and attributes to the output type; throws a KilnError naming the op on a mismatch. */
export type ShapeRule<K extends OpName> = (inputs: readonly TensorType[], attrs: OpAttrs[K]) => TensorType;

/** Runs the op on concrete inputs that passed its shape rule, producing a tensor of type `out`. */
export type Kernel<K extends OpName> = (inputs: readonly Tensor[], attrs: OpAttrs[K], out: TensorType) => Tensor;

/**
 * The vector-Jacobian product, written with the op functions, so it runs eagerly, is traced or is
 * differentiated again depending on the context. Returns one cotangent per input, or null where an
 * input gets no gradient; `needs[i]` says whether input i wants one at all.
 */
export type VjpRule<K extends OpName> = (
  g: Tensor,
  inputs: readonly Tensor[],
  out: Tensor,
  attrs: OpAttrs[K],
  needs: readonly boolean[],
) => (Tensor | null)[];

/** The rules every op has, whatever its family. */
export interface OpRules<K extends OpName> {
  readonly shape: ShapeRule<K>;
  readonly kernel: Kernel<K>;
  readonly vjp: VjpRule<K>;
}

/** One family's rules, keyed by its op names. */
export type FamilyRules<Ops extends OpName> = { readonly [K in Ops]: OpRules<K> };

/**
 * Builds a family's rule table from a maker that handles every op of the family alike (the cast is
 * the one place where the per-op pairing of names and attribute types is asserted).
 */
export function familyRules<Ops extends OpName>(
  ops: readonly Ops[],
  make: (op: Ops) => OpRules<Ops>,
): FamilyRules<Ops> {
  return Object.fromEntries(ops.map((op) => [op, make(op)])) as unknown as FamilyRules<Ops>;
}
