/**
 * @file The control-flow constructs as the interpreter stack sees them: cond, whileLoop and scan
 * over flat lists of tensors (the user API flattens pytrees before and after). Each interpreter
 * either runs a construct as plain JS control flow, calling the region functions with itself on
 * the stack (eager: a tape then records the ops of the path taken), or records it as one unit (a
 * trace: a node with sub-graph regions).
 */
import type { Tensor } from '../tensor.ts';

/** A region: from its flat tensor arguments to its flat tensor results. */
export type RegionFn = (args: readonly Tensor[]) => Tensor[];

export interface CondSpec {
  readonly kind: 'cond';
  /** A bool scalar. */
  readonly pred: Tensor;
  /** [true branch, false branch]; each gets no arguments (they close over what they use). */
  readonly branches: readonly [RegionFn, RegionFn];
}

export interface WhileSpec {
  readonly kind: 'while';
  /** From the loop state to a bool scalar: whether to run the body again. */
  readonly cond: RegionFn;
  /** From the loop state to the next loop state (same types). */
  readonly body: RegionFn;
  readonly init: readonly Tensor[];
}

export interface ScanSpec {
  readonly kind: 'scan';
  /** From [...carry, ...x slices] to [...carry, ...y]. */
  readonly body: RegionFn;
  readonly init: readonly Tensor[];
  /** Sliced along their leading axis, `length` steps. */
  readonly xs: readonly Tensor[];
  readonly length: number;
  readonly reverse: boolean;
  /** How many of the body's results are carry (the rest are per-step outputs). */
  readonly carried: number;
}

export type ControlSpec = CondSpec | WhileSpec | ScanSpec;
export type ControlKind = ControlSpec['kind'];

export interface ControlResult {
  /** cond: the branch results; while: the final state; scan: [...final carry, ...stacked ys]. */
  readonly outputs: Tensor[];
  /**
   * null when the construct ran inline (its ops went through the stack one by one); otherwise the
   * outer tensors its regions read, which a tape differentiates with the construct's own rule.
   */
  readonly captures: readonly Tensor[] | null;
}

/** The user-facing name of a construct, for messages. */
export const CONTROL_API_NAMES: { readonly [K in ControlKind]: string } = {
  cond: 'cond',
  while: 'whileLoop',
  scan: 'scan',
};
