/**
 * @file Gradients of control flow, for a tape over a context that records constructs as units (a
 * trace). Run inline (eagerly) a construct needs nothing here: the tape records the ops of the path
 * taken. Recorded as a unit:
 *   cond   its backward is a cond over the branches' VJPs (each branch re-run under a fresh tape);
 *   scan   the forward scan also stacks each step's incoming carry (the residuals), and the
 *          backward is a reverse scan over them carrying the carry's cotangent and the sums of
 *          the captured tensors' cotangents;
 *   while  not differentiable (its trip count is data-dependent): a clear error, as in JAX.
 */
import type { Tensor } from '../tensor.ts';
import { KilnGradientError } from '../errors.ts';
import { currentInterpreter } from '../context.ts';
import { add, broadcastTo } from '../ops/api.ts';
import { pullback, type Tape } from '../autodiff.ts';
import { controlIn } from './api.ts';
import type { CondSpec, ControlResult, ControlSpec, ScanSpec } from './types.ts';

const zerosOf = (t: Tensor): Tensor => broadcastTo(0, t.shape);
const isFloat = (t: Tensor): boolean => t.dtype === 'f32';

function whileGradientError(): KilnGradientError {
  return new KilnGradientError(
    'whileLoop: cannot differentiate through a while loop (its trip count depends on the data); ' +
      'use scan with a fixed number of steps instead, as with JAX',
  );
}

/** Puts `values` at the positions where `needs` is true, null elsewhere. */
function spread(needs: readonly boolean[], values: readonly Tensor[]): (Tensor | null)[] {
  let next = 0;
  return needs.map((n) => (n ? values[next++]! : null));
}

function condBackward(spec: CondSpec, captures: readonly Tensor[], outputs: readonly Tensor[]) {
  return (gs: readonly (Tensor | null)[], needs: readonly boolean[]): (Tensor | null)[] => {
    const wrt = captures.filter((_, i) => needs[i]);
    if (wrt.length === 0) return needs.map(() => null);
    const seeds = gs.map((g, i) => (g === null && isFloat(outputs[i]!) ? zerosOf(outputs[i]!) : g));
    const branchVjp = (i: 0 | 1) => () => pullback(() => spec.branches[i]([]), wrt, seeds);
    const back = controlIn(currentInterpreter(), {
      kind: 'cond',
      pred: spec.pred,
      branches: [branchVjp(0), branchVjp(1)],
    });
    return spread(needs, back.outputs);
  };
}

/**
 * The backward scan. Its carry: the cotangents of the f32 carries, then running sums of the
 * captured tensors' cotangents; its xs: the forward xs, the stacked incoming carries, and the ys'
 * cotangents; its ys: the cotangents of the f32 xs per step.
 */
function scanBackward(spec: ScanSpec, captures: readonly Tensor[], outputs: readonly Tensor[], residuals: Tensor[]) {
  const k = spec.carried;
  return (gs: readonly (Tensor | null)[], needs: readonly boolean[]): (Tensor | null)[] => {
    const m = spec.xs.length;
    const floatCarry = spec.init.map(isFloat);
    const floatXs = spec.xs.map(isFloat);
    const wrtCaptures = captures.filter((_, i) => needs[k + m + i]);
    const seed = (i: number): Tensor | null => gs[i] ?? (isFloat(outputs[i]!) ? zerosOf(outputs[i]!) : null);
    const gCarry = spec.init.flatMap((_, i) => (floatCarry[i] ? [seed(i)!] : []));
    const gYs = outputs.slice(k).map((_, j) => seed(k + j) ?? zerosOf(outputs[k + j]!));
    const kb = gCarry.length + wrtCaptures.length;
    const back = controlIn(currentInterpreter(), {
      kind: 'scan',
      init: [...gCarry, ...wrtCaptures.map(zerosOf)],
      xs: [...spec.xs, ...residuals, ...gYs],
      length: spec.length,
      reverse: !spec.reverse,
      carried: kb,
      body: (args) => {
        const gc = args.slice(0, gCarry.length);
        const acc = args.slice(gCarry.length, kb);
        const x = args.slice(kb, kb + m);
        const carryIn = args.slice(kb + m, kb + m + k);
        const gy = args.slice(kb + m + k);
        let next = 0;
        const carrySeeds = floatCarry.map((f) => (f ? gc[next++]! : null));
        const wrt = [...carryIn.filter((_, i) => floatCarry[i]), ...x.filter((_, i) => floatXs[i]), ...wrtCaptures];
        const cot = pullback(() => spec.body([...carryIn, ...x]), wrt, [...carrySeeds, ...gy]);
        const kf = gCarry.length;
        const mf = floatXs.filter(Boolean).length;
        const sums = acc.map((a, i) => add(a, cot[kf + mf + i]!));
        return [...cot.slice(0, kf), ...sums, ...cot.slice(kf, kf + mf)];
      },
    }).outputs;
    const gInit = spread(floatCarry, back.slice(0, gCarry.length));
    const gXs = spread(floatXs, back.slice(kb));
    const gCaptures = spread(needs.slice(k + m), back.slice(gCarry.length, kb));
    return [...gInit, ...gXs, ...gCaptures];
  };
}

/** How a tape runs a construct: pass it down, and if it was recorded as a unit, record its rule. */
export function tapeControl(tape: Tape, spec: ControlSpec): ControlResult {
  if (spec.kind === 'while') {
    if (tape.dependsOnWatched(spec.init)) throw whileGradientError();
    const result = controlIn(tape.below, spec);
    const reached = result.captures ? tape.dependsOnWatched(result.captures) : tape.dependsOnWatched(result.outputs);
    if (reached) throw whileGradientError();
    return result;
  }
  if (spec.kind === 'cond') {
    const result = controlIn(tape.below, spec);
    if (result.captures && tape.dependsOnWatched(result.captures)) {
      tape.record({
        kind: 'control',
        inputs: result.captures,
        outputs: result.outputs,
        backward: condBackward(spec, result.captures, result.outputs),
      });
    }
    return result;
  }
  // scan: also stack each step's incoming carry, the residuals of the backward scan.
  const k = spec.carried;
  const withResiduals: ScanSpec = {
    ...spec,
    body: (args) => {
      const out = spec.body(args);
      return [...out, ...args.slice(0, k)];
    },
  };
  const result = controlIn(tape.below, withResiduals);
  const outputs = result.outputs.slice(0, result.outputs.length - k);
  const residuals = result.outputs.slice(result.outputs.length - k);
  if (result.captures === null) return { outputs, captures: null };
  const inputs = [...spec.init, ...spec.xs, ...result.captures];
  if (tape.dependsOnWatched(inputs)) {
    tape.record({
      kind: 'control',
      inputs,
      outputs,
      backward: scanBackward(spec, result.captures, outputs, residuals),
    });
  }
  return { outputs, captures: result.captures };
}
