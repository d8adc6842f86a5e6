/**
 * @file Control flow run as plain JS control flow: how the eager interpreter (and any interpreter
 * without a control rule of its own) runs cond, whileLoop and scan. The region functions are
 * called with the current stack, so a tape above records the ops of the path actually taken.
 */
import type { Tensor } from '../tensor.ts';
import { concat, reshape, slice } from '../ops/api.ts';
import { checkPredicate, checkSameTypes } from './check.ts';
import type { ControlResult, ControlSpec, ScanSpec } from './types.ts';

/** Reads a bool scalar as a JS boolean. */
function truth(api: string, what: string, t: Tensor): boolean {
  checkPredicate(api, what, t);
  return t.concreteData(`use it as the ${what} of ${api}`)[0] !== 0;
}

/** Step `t` of `x` along its leading axis, without that axis. */
function sliceStep(x: Tensor, t: number): Tensor {
  const part = slice(x, [t, ...x.shape.slice(1).map(() => 0)], [1, ...x.shape.slice(1)]);
  return reshape(part, x.shape.slice(1));
}

function runScan(spec: ScanSpec): Tensor[] {
  let carry = [...spec.init];
  const steps: Tensor[][] = [];
  for (let i = 0; i < spec.length; i++) {
    const t = spec.reverse ? spec.length - 1 - i : i;
    const out = spec.body([...carry, ...spec.xs.map((x) => sliceStep(x, t))]);
    checkSameTypes('scan', 'carry', carry, out.slice(0, spec.carried), ['the initial carry', 'the step function']);
    carry = out.slice(0, spec.carried);
    steps[t] = out.slice(spec.carried);
  }
  const yCount = steps.length ? steps[0]!.length : 0;
  const ys = Array.from({ length: yCount }, (_, j) => concat(steps.map((s) => reshape(s[j]!, [1, ...s[j]!.shape]))));
  return [...carry, ...ys];
}

export function runInline(spec: ControlSpec): ControlResult {
  switch (spec.kind) {
    case 'cond':
      return { outputs: spec.branches[truth('cond', 'predicate', spec.pred) ? 0 : 1]([]), captures: null };
    case 'while': {
      let state = [...spec.init];
      while (truth('whileLoop', 'condition result', spec.cond(state)[0]!)) {
        const next = spec.body(state);
        checkSameTypes('whileLoop', 'state', state, next, ['the initial state', 'the body']);
        state = next;
      }
      return { outputs: state, captures: null };
    }
    case 'scan':
      return { outputs: runScan(spec), captures: null };
  }
}
