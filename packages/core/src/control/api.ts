/**
 * @file cond, whileLoop and scan as users call them: pytrees in and out, flattened to the flat
 * tensor lists the interpreters work on. Eagerly they run as JS control flow; under trace() they
 * record one node with sub-graph regions, so the loop count or branch is decided at run time.
 */
import { Tensor } from '../tensor.ts';
import { KilnArgumentError } from '../errors.ts';
import { currentInterpreter, type Interpreter } from '../context.ts';
import { asTensor, type TensorLike } from '../ops/convert.ts';
import { flatten, treeDefString, unflatten, type TreeDef } from '../pytree.ts';
import { runInline } from './inline.ts';
import type { ControlResult, ControlSpec, RegionFn } from './types.ts';

/** Runs `spec` in `interpreter`: its own control rule, or plain JS control flow. */
export function controlIn(interpreter: Interpreter, spec: ControlSpec): ControlResult {
  return interpreter.control ? interpreter.control(spec) : runInline(spec);
}

function bindControl(spec: ControlSpec): Tensor[] {
  return controlIn(currentInterpreter(), spec).outputs;
}

/** The leaves of a region's result as tensors; numbers take the dtype of the matching `like` leaf. */
function tensorLeaves(
  api: string,
  what: string,
  tree: unknown,
  like?: readonly Tensor[],
): { leaves: Tensor[]; def: TreeDef } {
  // Nothing (a branch that only assigns variables, a scan step without y) has no leaves: it comes back as [].
  const { leaves, def } = flatten(tree ?? [], (x) => x instanceof Tensor);
  const tensors = leaves.map((leaf, i) => {
    if (!(leaf instanceof Tensor) && typeof leaf !== 'number' && typeof leaf !== 'boolean') {
      throw new KilnArgumentError(
        `${api}: ${what} must be a pytree of tensors, got ${leaf === null ? 'null' : typeof leaf} at leaf ${i}`,
      );
    }
    return asTensor(leaf as TensorLike, api, what, like?.[i]?.dtype);
  });
  return { leaves: tensors, def };
}

function checkStructure(api: string, what: string, want: TreeDef, got: TreeDef, names: [string, string]): void {
  const [a, b] = [treeDefString(want), treeDefString(got)];
  if (a !== b)
    throw new KilnArgumentError(`${api}: ${what} has structure ${a} from ${names[0]} but ${b} from ${names[1]}`);
}

/**
 * Runs `trueFn` if `pred` (a bool scalar tensor, or a JS boolean) is true, else `falseFn`, and
 * returns its result (a pytree of tensors). Under trace() both branches are traced into one
 * `cond` node, so their results must agree in structure, dtype and shape; differentiable.
 */
export function cond<T>(pred: Tensor | boolean, trueFn: () => T, falseFn: () => T): T {
  if (typeof pred === 'boolean') return pred ? trueFn() : falseFn();
  const defs: (TreeDef | undefined)[] = [undefined, undefined];
  const branch =
    (fn: () => T, i: 0 | 1): RegionFn =>
    () => {
      const { leaves, def } = tensorLeaves('cond', 'a branch result', fn());
      defs[i] = def;
      return leaves;
    };
  const outputs = bindControl({
    kind: 'cond',
    pred: asTensor(pred, 'cond', 'predicate'),
    branches: [branch(trueFn, 0), branch(falseFn, 1)],
  });
  if (defs[0] && defs[1])
    checkStructure('cond', 'the result', defs[0], defs[1], ['the true branch', 'the false branch']);
  return unflatten<T>((defs[0] ?? defs[1])!, outputs);
}

/**
 * Repeats `state = bodyFn(state)` while `condFn(state)` (a bool scalar) is true, from `init` (a
 * pytree of tensors whose shapes and dtypes the body must keep), and returns the final state.
 * Under trace() the loop is one `while` node and its trip count is decided at run time. Not
 * differentiable (use scan with a fixed length for that, as in JAX).
 */
export function whileLoop<S>(condFn: (state: S) => Tensor | boolean, bodyFn: (state: S) => S, init: S): S {
  const start = tensorLeaves('whileLoop', 'the initial state', init);
  const outputs = bindControl({
    kind: 'while',
    init: start.leaves,
    cond: (args) => [asTensor(condFn(unflatten<S>(start.def, args)), 'whileLoop', 'the condition result')],
    body: (args) => {
      const next = tensorLeaves('whileLoop', 'the body result', bodyFn(unflatten<S>(start.def, args)), args);
      checkStructure('whileLoop', 'the state', start.def, next.def, ['the initial state', 'the body']);
      return next.leaves;
    },
  });
  return unflatten<S>(start.def, outputs);
}

export interface ScanOptions {
  /** Walk the steps from last to first (ys stay in step order). */
  reverse?: boolean;
  /** The number of steps, needed when `xs` has no tensors. */
  length?: number;
}

function scanLength(xs: readonly Tensor[], length: number | undefined): number {
  const lengths = new Set(xs.map((x) => (x.rank === 0 ? -1 : x.shape[0]!)));
  if (lengths.has(-1)) throw new KilnArgumentError('scan: every xs tensor needs a leading axis to scan over');
  if (lengths.size > 1)
    throw new KilnArgumentError(
      `scan: the xs tensors have different leading sizes (${xs.map((x) => x.typeString).join(', ')})`,
    );
  const n = lengths.size ? [...lengths][0]! : length;
  if (n === undefined) throw new KilnArgumentError('scan: xs has no tensors, so pass { length }');
  if (length !== undefined && length !== n)
    throw new KilnArgumentError(`scan: length ${length} does not match the xs leading size ${n}`);
  if (!Number.isInteger(n) || n < 1) throw new KilnArgumentError(`scan: needs at least one step, got length ${n}`);
  return n;
}

/**
 * Scans `fn(carry, x) -> [carry, y]` over the leading axis of `xs` (a pytree of tensors), from
 * `init`. Returns `[finalCarry, ys]`, where ys stacks every step's y on a new leading axis. Under
 * trace() it is one `scan` node whose body runs in a loop at run time; differentiable.
 */
export function scan<C, X, Y>(fn: (carry: C, x: X) => [C, Y], init: C, xs: X, options: ScanOptions = {}): [C, Y] {
  const start = tensorLeaves('scan', 'the initial carry', init);
  const sliced = tensorLeaves('scan', 'xs', xs);
  const k = start.leaves.length;
  let yDef: TreeDef | undefined;
  const outputs = bindControl({
    kind: 'scan',
    init: start.leaves,
    xs: sliced.leaves,
    length: scanLength(sliced.leaves, options.length),
    reverse: options.reverse ?? false,
    carried: k,
    body: (args) => {
      const x = unflatten<X>(sliced.def, args.slice(k));
      const out = fn(unflatten<C>(start.def, args.slice(0, k)), x);
      if (!Array.isArray(out) || out.length !== 2)
        throw new KilnArgumentError('scan: the step function must return [carry, y]');
      const carry = tensorLeaves('scan', 'the carry', out[0], args.slice(0, k));
      checkStructure('scan', 'the carry', start.def, carry.def, ['the initial carry', 'the step function']);
      const y = tensorLeaves('scan', 'y', out[1]);
      if (yDef) checkStructure('scan', 'y', yDef, y.def, ['one step', 'another']);
      yDef = y.def;
      return [...carry.leaves, ...y.leaves];
    },
  });
  return [unflatten<C>(start.def, outputs.slice(0, k)), unflatten<Y>(yDef!, outputs.slice(k))];
}
