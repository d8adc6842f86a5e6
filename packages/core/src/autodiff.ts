/**
 * @file Reverse-mode autodiff with a tape. `grad` pushes a tape that records every op touching a
 * watched tensor and passes the op down the interpreter stack; afterwards it pops the tape and
 * walks the record backwards through the VJP rules. The backward ops go to whatever context is
 * below (eager, an outer tape for grad of grad, or a trace), which is what makes them compose.
 */
import { Tensor } from './tensor.ts';
import { Variable } from './variable.ts';
import { KilnGradientError } from './errors.ts';
import { FixedCaller } from './source-location.ts';
import { bind, currentInterpreter, withInterpreter, type Interpreter } from './context.ts';
import type { OpAttrs, OpName } from './ops/names.ts';
import { vjpRules } from './ops/registry.ts';
import type { VjpRule } from './ops/rules.ts';
import { add, asTensor, broadcastTo, type TensorLike } from './ops/api.ts';
import type { ControlResult, ControlSpec } from './control/types.ts';
import { tapeControl } from './control/vjp.ts';
import { ones, zeros } from './creation.ts';
import { flatten, leafPaths, unflatten } from './pytree.ts';

interface OpEntry {
  kind: 'op';
  op: OpName;
  inputs: readonly Tensor[];
  attrs: unknown;
  output: Tensor;
}

/** A control-flow construct recorded as one unit, with its own backward rule (control/vjp.ts). */
export interface ControlEntry {
  kind: 'control';
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
  /** Cotangents of the inputs (null: none) from those of the outputs (null: none reached it). */
  backward(gs: readonly (Tensor | null)[], needs: readonly boolean[]): (Tensor | null)[];
}

type TapeEntry = OpEntry | ControlEntry;

/** Records the ops that depend on watched tensors, then lets the context below run them. */
export class Tape implements Interpreter {
  readonly entries: TapeEntry[] = [];
  /** Ids of tensors that depend on a watched input. */
  readonly watched = new Set<number>();

  constructor(readonly below: Interpreter) {}

  apply<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
    const output = this.below.apply(op, inputs, attrs);
    if (this.dependsOnWatched(inputs)) {
      this.entries.push({ kind: 'op', op, inputs, attrs, output });
      this.watched.add(output.id);
    }
    return output;
  }

  dependsOnWatched(tensors: readonly Tensor[]): boolean {
    return tensors.some((t) => this.watched.has(t.id));
  }

  /** Records a unit entry; its outputs become watched. */
  record(entry: ControlEntry): void {
    this.entries.push(entry);
    for (const t of entry.outputs) this.watched.add(t.id);
  }

  control(spec: ControlSpec): ControlResult {
    return tapeControl(this, spec);
  }

  readVariable(v: Variable): Tensor {
    return this.below.readVariable(v);
  }

  assignVariable(v: Variable, value: Tensor): void {
    this.below.assignVariable(v, value);
  }

  /** Cotangents of every watched tensor reached from the seeded tensors (seeds keyed by tensor id). */
  backward(seeds: Map<number, Tensor>): Map<number, Tensor> {
    const cotangents = new Map(seeds);
    const accumulate = (t: Tensor, dx: Tensor): void => {
      const prev = cotangents.get(t.id);
      cotangents.set(t.id, prev === undefined ? dx : add(prev, dx));
    };
    // The vjp rules and the sums are Kiln's code, so their ops all name the user's line that
    // asked for the gradient; a control entry's backward may rerun the user's bodies, so it reads
    // its own lines from the stack.
    const kilnCode = new FixedCaller();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      const needs = entry.inputs.map((t) => t.dtype === 'f32' && this.watched.has(t.id));
      if (entry.kind === 'control') {
        const gs = entry.outputs.map((t) => cotangents.get(t.id) ?? null);
        if (gs.every((g) => g === null)) continue;
        const dxs = entry.backward(gs, needs);
        kilnCode.run(() => dxs.forEach((dx, j) => dx !== null && needs[j] && accumulate(entry.inputs[j]!, dx)));
        continue;
      }
      const { op, inputs, attrs, output: out } = entry;
      const g = cotangents.get(out.id);
      if (g === undefined) continue;
      const rule = vjpRules[op] as VjpRule<OpName>;
      kilnCode.run(() => {
        const grads = rule(g, inputs, out, attrs as never, needs);
        grads.forEach((dx, j) => dx !== null && needs[j] && accumulate(inputs[j]!, dx));
      });
    }
    return cotangents;
  }
}

/**
 * The vector-Jacobian product of `run` (which computes tensors from `wrt`, among others): the
 * cotangents of `wrt` given cotangents `gs` of run's results (null: none). Runs `run` under a
 * fresh tape watching `wrt` themselves; the backward ops go to the current context. Control-flow
 * gradients use it inside their backward regions.
 */
export function pullback(run: () => Tensor[], wrt: readonly Tensor[], gs: readonly (Tensor | null)[]): Tensor[] {
  const tape = new Tape(currentInterpreter());
  wrt.forEach((t) => tape.watched.add(t.id));
  const outputs = withInterpreter(tape, run);
  const seeds = new Map<number, Tensor>();
  outputs.forEach((t, i) => {
    const g = gs[i];
    if (!g || t.dtype !== 'f32') return;
    const prev = seeds.get(t.id);
    seeds.set(t.id, prev === undefined ? g : add(prev, g));
  });
  const cotangents = tape.backward(seeds);
  return wrt.map((t) => cotangents.get(t.id) ?? broadcastTo(0, t.shape));
}

/** Replaces Tensor/Variable/number leaves by fresh aliases to watch. */
function watchLeaves(leaves: unknown[], paths: string[]): Tensor[] {
  return leaves.map((leaf, i) => {
    const where = paths[i] ? ` at ${paths[i]}` : '';
    if (!(leaf instanceof Tensor || leaf instanceof Variable || typeof leaf === 'number')) {
      throw new KilnGradientError(
        `grad: cannot differentiate with respect to a ${leaf === null ? 'null' : typeof leaf} leaf${where}; leaves must be f32 tensors or variables`,
      );
    }
    const t = asTensor(leaf as TensorLike, 'grad');
    if (t.dtype !== 'f32')
      throw new KilnGradientError(`grad: input${where} is ${t.typeString}; only f32 tensors can be differentiated`);
    // Watch an alias, never the caller's tensor itself: the same tensor may also reach f another way
    // (passed twice, closed over, or an outer grad's input), and those uses must stay constants here.
    // The alias is made in the context below, so an outer tape still sees it depend on the original.
    return bind('reshape', [t], { shape: [...t.shape] });
  });
}

/** Gradient structure of a pytree: each Tensor or Variable leaf becomes a Tensor. */
export type Grads<T> = T extends Tensor | Variable | number
  ? Tensor
  : T extends readonly unknown[]
    ? { [K in keyof T]: Grads<T[K]> }
    : T extends object
      ? { [K in keyof T]: Grads<T[K]> }
      : never;

type Fn<A extends unknown[]> = (...args: A) => Tensor;

/** Arguments as the caller may pass them: a Variable wherever f expects a Tensor. */
export type Watchable<T> = T extends Tensor
  ? Tensor | Variable
  : T extends readonly unknown[]
    ? { [K in keyof T]: Watchable<T[K]> }
    : T extends object
      ? { [K in keyof T]: Watchable<T[K]> }
      : T;

function checkArgnums(argnums: number | readonly number[], arity: number): number[] {
  const list = typeof argnums === 'number' ? [argnums] : [...argnums];
  for (const n of list) {
    if (!Number.isInteger(n) || n < 0 || n >= arity) {
      throw new KilnGradientError(
        `grad: argnums ${JSON.stringify(argnums)} is out of range for a call with ${arity} argument(s)`,
      );
    }
  }
  return list;
}

/** Runs f with a tape over the chosen arguments and returns its value and the gradients. */
function differentiate<A extends unknown[]>(
  f: Fn<A>,
  args: A,
  argnums: number | readonly number[],
): [Tensor, unknown[]] {
  const nums = checkArgnums(argnums, args.length);
  const tape = new Tape(currentInterpreter());
  const watchedArgs = [...args] as unknown[];
  const trees = nums.map((n) => {
    const { leaves, def } = flatten(args[n]);
    const watched = watchLeaves(leaves, leafPaths(def));
    watched.forEach((t) => tape.watched.add(t.id));
    watchedArgs[n] = unflatten(def, watched);
    return { def, watched };
  });
  const value = withInterpreter(tape, () => f(...(watchedArgs as A)));
  if (!(value instanceof Tensor)) {
    throw new KilnGradientError(
      `grad: the function must return a Tensor, got ${value === null ? 'null' : typeof value}`,
    );
  }
  if (value.size !== 1 || value.dtype !== 'f32') {
    throw new KilnGradientError(
      `grad: the function must return a scalar f32 tensor to differentiate, got ${value.typeString}; reduce it first, e.g. with sum() or mean()`,
    );
  }
  const cotangents = tape.backward(new Map([[value.id, ones(value.shape)]]));
  const grads = trees.map(({ def, watched }) =>
    unflatten(
      def,
      watched.map((t) => cotangents.get(t.id) ?? zeros(t.shape)),
    ),
  );
  return [value, grads];
}

/**
 * Returns a function computing the gradient of scalar-valued `f` with respect to argument
 * `argnums` (default 0; a list gives a list of gradients). Arguments may be pytrees of f32
 * tensors or variables; each gradient has the structure of its argument.
 */
export function grad<A extends unknown[], N extends number = 0>(
  f: Fn<A>,
  argnums?: N,
): (...args: Watchable<A>) => Grads<A[N]>;
export function grad<A extends unknown[]>(
  f: Fn<A>,
  argnums: readonly number[],
): (...args: Watchable<A>) => Grads<A[number]>[];
export function grad<A extends unknown[]>(
  f: Fn<A>,
  argnums: number | readonly number[] = 0,
): (...args: Watchable<A>) => unknown {
  return (...args: Watchable<A>) => {
    const [, grads] = differentiate(f, args as A, argnums);
    return typeof argnums === 'number' ? grads[0] : grads;
  };
}

/** Like `grad`, but also returns f's value: `[value, gradients]`. */
export function valueAndGrad<A extends unknown[], N extends number = 0>(
  f: Fn<A>,
  argnums?: N,
): (...args: Watchable<A>) => [Tensor, Grads<A[N]>];
export function valueAndGrad<A extends unknown[]>(
  f: Fn<A>,
  argnums: readonly number[],
): (...args: Watchable<A>) => [Tensor, Grads<A[number]>[]];
export function valueAndGrad<A extends unknown[]>(
  f: Fn<A>,
  argnums: number | readonly number[] = 0,
): (...args: Watchable<A>) => [Tensor, unknown] {
  return (...args: Watchable<A>) => {
    const [value, grads] = differentiate(f, args as A, argnums);
    return [value, typeof argnums === 'number' ? grads[0] : grads];
  };
}
