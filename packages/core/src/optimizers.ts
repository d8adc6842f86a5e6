/**
 * @file Optimizers that update variables in place. Their state (moments, step count) lives in
 * variables too, so a traced training step captures it and updates it like any weight.
 */
import { KilnArgumentError } from './errors.ts';
import { Tensor } from './tensor.ts';
import { Variable } from './variable.ts';
import { zeros, scalar } from './creation.ts';
import { add, div, mul, pow, sqrt, square, sub } from './ops/api.ts';
import { flatten, leafPaths, treeDefString } from './pytree.ts';

/** Updates each variable of `params` from the gradient at the same place in `grads`. */
export interface Optimizer {
  apply(params: unknown, grads: unknown): void;
  /** The state variables created so far (for inspection and checkpoints). */
  readonly state: ReadonlyMap<Variable, Record<string, Variable>>;
}

/** Pairs each variable with its gradient; the two pytrees must have the same structure. */
function pairs(params: unknown, grads: unknown): [Variable, Tensor][] {
  const p = flatten(params);
  const g = flatten(grads);
  const paths = leafPaths(p.def);
  // Leaves pair up by position, so equal leaf counts are not enough: {a, b} against {b, a} would swap them.
  if (treeDefString(p.def) !== treeDefString(g.def)) {
    throw new KilnArgumentError(
      `optimizer: grads have structure ${treeDefString(g.def)} but params have ${treeDefString(p.def)}`,
    );
  }
  return p.leaves.map((v, i) => {
    const grad = g.leaves[i];
    if (!(v instanceof Variable))
      throw new KilnArgumentError(`optimizer: params leaf ${paths[i] || i} is not a Variable`);
    if (!(grad instanceof Tensor))
      throw new KilnArgumentError(`optimizer: grads leaf ${paths[i] || i} is not a Tensor`);
    if (grad.typeString !== v.typeString) {
      throw new KilnArgumentError(
        `optimizer: gradient ${grad.typeString} does not match variable '${v.name}' ${v.typeString}`,
      );
    }
    return [v, grad];
  });
}

type Step = (v: Variable, g: Tensor, slot: (name: string, init: () => Tensor) => Variable) => void;

function makeOptimizer(step: Step): Optimizer {
  const state = new Map<Variable, Record<string, Variable>>();
  const slotOf =
    (v: Variable) =>
    (name: string, init: () => Tensor): Variable => {
      const slots = state.get(v) ?? {};
      state.set(v, slots);
      slots[name] ??= new Variable(init(), { name: `${v.name}/${name}`, trainable: false });
      return slots[name];
    };
  return {
    state,
    apply(params, grads) {
      // Check every pair before touching any variable, so a bad call changes nothing.
      for (const [v, g] of pairs(params, grads)) if (v.trainable) step(v, g, slotOf(v));
    },
  };
}

export interface SgdOptions {
  learningRate: number;
}

/** Plain gradient descent: w -= lr · g. */
export function sgd({ learningRate }: SgdOptions): Optimizer {
  return makeOptimizer((v, g) => v.assign(sub(v.value, mul(g, learningRate))));
}

export interface MomentumOptions {
  learningRate: number;
  momentum?: number;
  nesterov?: boolean;
}

/** Heavy-ball momentum: m = μ·m + g; w -= lr · m (or lr · (g + μ·m) with Nesterov). */
export function momentum({ learningRate, momentum: mu = 0.9, nesterov = false }: MomentumOptions): Optimizer {
  return makeOptimizer((v, g, slot) => {
    const m = slot('momentum', () => zeros(v.shape));
    const next = add(mul(m.value, mu), g);
    m.assign(next);
    v.assign(sub(v.value, mul(nesterov ? add(g, mul(next, mu)) : next, learningRate)));
  });
}

export interface AdamOptions {
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam (Kingma & Ba) with bias correction; the step count is a variable per parameter. */
export function adam({ learningRate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 }: AdamOptions = {}): Optimizer {
  return makeOptimizer((v, g, slot) => {
    const m = slot('m', () => zeros(v.shape));
    const s = slot('v', () => zeros(v.shape));
    const t = slot('step', () => scalar(0));
    const step = add(t.value, 1);
    t.assign(step);
    const mNext = add(mul(m.value, beta1), mul(g, 1 - beta1));
    const sNext = add(mul(s.value, beta2), mul(square(g), 1 - beta2));
    m.assign(mNext);
    s.assign(sNext);
    // lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t)
    const lrT = div(mul(sqrt(sub(1, pow(beta2, step))), learningRate), sub(1, pow(beta1, step)));
    v.assign(sub(v.value, mul(lrT, div(mNext, add(sqrt(sNext), epsilon)))));
  });
}
