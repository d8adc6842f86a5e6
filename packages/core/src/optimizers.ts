/**
 * @file Optimizers that update variables in place. Their state (moments, accumulators, the step
 * count) lives in variables too, so a traced training step captures it and updates it like any
 * weight, and a checkpoint can save and restore it. Update rules and defaults follow PyTorch's
 * (`torch.optim`); the learning rate may be a number, a scalar Variable or a schedule of the
 * step count; `sgd(0.1)` is shorthand for `sgd({ learningRate: 0.1 })`, as in tfjs and optax.
 */
import { KilnArgumentError } from './errors.ts';
import { Tensor } from './tensor.ts';
import { Variable } from './variable.ts';
import { full, scalar, zeros } from './creation.ts';
import { add, cast, div, mul, pow, sqrt, square, sub, type TensorLike } from './ops/api.ts';
import { flatten, leafPaths, treeDefString } from './pytree.ts';
import type { Schedule } from './schedules.ts';

/** A learning rate: a constant, a scalar f32 Variable (change it between steps), or a schedule of the step count. */
export type LearningRate = number | Variable | Schedule;

/** Updates each variable of `params` from the gradient at the same place in `grads`. */
export interface Optimizer {
  /** One update of every trainable variable of `params`; then the step count goes up by one. */
  apply(params: unknown, grads: unknown): void;
  /** Creates the state variables of `params` now (apply does it on first use), e.g. before a restore. */
  init(params: unknown): void;
  /** The initial value of each state variable `init` creates for `v`, by name (for checkpoints). */
  initialSlots(v: Variable): Record<string, Tensor>;
  /** The state variables created so far, per parameter (for inspection and checkpoints). */
  readonly state: ReadonlyMap<Variable, Record<string, Variable>>;
  /** How many times apply has run: an i32 scalar variable, the step that schedules read. */
  readonly iterations: Variable;
  /** The learning rate the next apply will use. */
  currentLearningRate(): Tensor;
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

/** How one optimizer updates one variable. */
interface Rule {
  /** The state each variable needs, by slot name, with its initial value. */
  slots(v: Variable): Record<string, () => Tensor>;
  /** Assigns the new value of `v` (and of its slots) from gradient `g` at learning rate `lr`. */
  update(v: Variable, g: Tensor, slots: Record<string, Variable>, lr: TensorLike): void;
}

function checkLearningRate(op: string, lr: unknown): LearningRate {
  if (typeof lr === 'number' && Number.isFinite(lr)) return lr;
  if (typeof lr === 'function') return lr as Schedule;
  if (lr instanceof Variable && lr.dtype === 'f32' && lr.shape.length === 0) return lr;
  const got = lr instanceof Variable ? `variable '${lr.name}' ${lr.typeString}` : String(lr);
  throw new KilnArgumentError(
    `${op}: learningRate must be a finite number, an f32[] Variable or a schedule; got ${got}`,
  );
}

function makeOptimizer(op: string, learningRate: unknown, rule: Rule): Optimizer {
  const lr = checkLearningRate(op, learningRate);
  const state = new Map<Variable, Record<string, Variable>>();
  const iterations = new Variable(scalar(0, 'i32'), { name: `${op}/iterations`, trainable: false });
  const slotsOf = (v: Variable): Record<string, Variable> => {
    let slots = state.get(v);
    if (!slots) {
      const init = rule.slots(v);
      slots = Object.fromEntries(
        Object.entries(init).map(([name, value]) => [
          name,
          new Variable(value(), { name: `${v.name}/${name}`, trainable: false }),
        ]),
      );
      // Optimizers without state (sgd) list no variables.
      if (Object.keys(slots).length > 0) state.set(v, slots);
    }
    return slots;
  };
  const currentLearningRate = (): Tensor =>
    typeof lr === 'number' ? scalar(lr) : lr instanceof Variable ? lr.value : lr(cast(iterations.value, 'f32'));
  return {
    state,
    iterations,
    currentLearningRate,
    initialSlots: (v) => Object.fromEntries(Object.entries(rule.slots(v)).map(([name, init]) => [name, init()])),
    init(params) {
      for (const v of flatten(params).leaves) if (v instanceof Variable && v.trainable) slotsOf(v);
    },
    apply(params, grads) {
      // Check every pair before touching any variable, so a bad call changes nothing.
      const checked = pairs(params, grads);
      const rate = typeof lr === 'number' ? lr : currentLearningRate();
      for (const [v, g] of checked) if (v.trainable) rule.update(v, g, slotsOf(v), rate);
      iterations.assign(add(iterations.value, 1));
    },
  };
}

/** The options object of an optimizer, from either call form: `opt(lr, rest?)` or `opt({ learningRate, ...rest })`. */
function optionsOf<O extends { learningRate?: LearningRate }>(
  first: LearningRate | O | undefined,
  rest: Omit<O, 'learningRate'> | undefined,
): O {
  const isOptions = first !== null && typeof first === 'object' && !(first instanceof Variable);
  if (isOptions) return first;
  return { ...rest, learningRate: first } as O;
}

function required(op: string, lr: LearningRate | undefined): LearningRate {
  if (lr === undefined) throw new KilnArgumentError(`${op}: needs a learningRate, e.g. ${op}(0.1)`);
  return lr;
}

const zerosLike = (v: Variable) => () => zeros(v.shape);

export interface SgdOptions {
  learningRate: LearningRate;
}

/** Plain gradient descent: w -= lr · g. `sgd(0.1)` or `sgd({ learningRate: 0.1 })`. */
export function sgd(options: LearningRate | SgdOptions): Optimizer {
  const { learningRate } = optionsOf<SgdOptions>(options, {});
  return makeOptimizer('sgd', required('sgd', learningRate), {
    slots: () => ({}),
    update: (v, g, _slots, lr) => v.assign(sub(v.value, mul(g, lr))),
  });
}

export interface MomentumOptions {
  learningRate: LearningRate;
  /** μ (default 0.9). */
  momentum?: number;
  nesterov?: boolean;
}

/** Heavy-ball momentum: m = μ·m + g; w -= lr · m (or lr · (g + μ·m) with Nesterov), as torch.optim.SGD. */
export function momentum(
  options: LearningRate | MomentumOptions,
  rest?: Omit<MomentumOptions, 'learningRate'>,
): Optimizer {
  const { learningRate, momentum: mu = 0.9, nesterov = false } = optionsOf<MomentumOptions>(options, rest);
  return makeOptimizer('momentum', required('momentum', learningRate), {
    slots: (v) => ({ momentum: zerosLike(v) }),
    update: (v, g, { momentum: m }, lr) => {
      const next = add(mul(m!.value, mu), g);
      m!.assign(next);
      v.assign(sub(v.value, mul(nesterov ? add(g, mul(next, mu)) : next, lr)));
    },
  });
}

export interface AdamOptions {
  /** Default 1e-3. */
  learningRate?: LearningRate;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay λ: w -= lr · λ · w each step (default 0.01, as torch.optim.AdamW). */
  weightDecay?: number;
}

/** The Adam rule with decoupled weight decay (0 for plain Adam). */
function adamRule({ beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 }: AdamOptions, weightDecay: number): Rule {
  return {
    slots: (v) => ({ m: zerosLike(v), v: zerosLike(v), step: () => scalar(0) }),
    update: (w, g, { m, v, step: t }, lr) => {
      const step = add(t!.value, 1);
      t!.assign(step);
      const mNext = add(mul(m!.value, beta1), mul(g, 1 - beta1));
      const vNext = add(mul(v!.value, beta2), mul(square(g), 1 - beta2));
      m!.assign(mNext);
      v!.assign(vNext);
      // lr_t = lr · sqrt(1 - β2^t) / (1 - β1^t)
      const lrT = div(mul(sqrt(sub(1, pow(beta2, step))), lr), sub(1, pow(beta1, step)));
      const decayed = weightDecay === 0 ? w.value : sub(w.value, mul(mul(lr, weightDecay), w.value));
      w.assign(sub(decayed, mul(lrT, div(mNext, add(sqrt(vNext), epsilon)))));
    },
  };
}

/**
 * Adam (Kingma & Ba) with bias correction; the step count is a variable per parameter (as in
 * torch.optim.Adam). ε is added to the uncorrected sqrt(v) (the paper's efficient form, as
 * TensorFlow does). `adam(1e-3)` or `adam({ learningRate: 1e-3, beta1: 0.9 })`.
 */
export function adam(options: LearningRate | AdamOptions = {}, rest?: Omit<AdamOptions, 'learningRate'>): Optimizer {
  const o = optionsOf<AdamOptions>(options, rest);
  return makeOptimizer('adam', o.learningRate ?? 1e-3, adamRule(o, 0));
}

/**
 * AdamW (Loshchilov & Hutter): Adam plus decoupled weight decay, w -= lr · λ · w, applied to the
 * weights before the Adam step and not through the gradient (as torch.optim.AdamW and optax.adamw).
 */
export function adamw(options: LearningRate | AdamWOptions = {}, rest?: Omit<AdamWOptions, 'learningRate'>): Optimizer {
  const o = optionsOf<AdamWOptions>(options, rest);
  return makeOptimizer('adamw', o.learningRate ?? 1e-3, adamRule(o, o.weightDecay ?? 0.01));
}

export interface RmspropOptions {
  /** Default 0.01. */
  learningRate?: LearningRate;
  /** Decay of the running mean of g² (PyTorch's alpha, tfjs's decay; default 0.99). */
  rho?: number;
  /** Default 1e-8, added to sqrt of the mean square. */
  epsilon?: number;
  /** Momentum on the scaled step (default 0: none). */
  momentum?: number;
  /** Divide by the running variance (mean of g² minus the squared mean of g) instead (default false). */
  centered?: boolean;
}

/** RMSprop (Hinton): s = ρ·s + (1-ρ)·g²; w -= lr · g / (sqrt(s) + ε), with torch.optim.RMSprop's momentum and centered options. */
export function rmsprop(
  options: LearningRate | RmspropOptions = {},
  rest?: Omit<RmspropOptions, 'learningRate'>,
): Optimizer {
  const o = optionsOf<RmspropOptions>(options, rest);
  const { rho = 0.99, epsilon = 1e-8, momentum: mu = 0, centered = false } = o;
  return makeOptimizer('rmsprop', o.learningRate ?? 0.01, {
    slots: (v) => ({
      meanSquare: zerosLike(v),
      ...(centered ? { meanGrad: zerosLike(v) } : {}),
      ...(mu > 0 ? { momentum: zerosLike(v) } : {}),
    }),
    update: (w, g, slots, lr) => {
      const s = add(mul(slots.meanSquare!.value, rho), mul(square(g), 1 - rho));
      slots.meanSquare!.assign(s);
      let variance = s;
      if (centered) {
        const mean = add(mul(slots.meanGrad!.value, rho), mul(g, 1 - rho));
        slots.meanGrad!.assign(mean);
        variance = sub(s, square(mean));
      }
      let scaled = div(g, add(sqrt(variance), epsilon));
      if (mu > 0) {
        scaled = add(mul(slots.momentum!.value, mu), scaled);
        slots.momentum!.assign(scaled);
      }
      w.assign(sub(w.value, mul(scaled, lr)));
    },
  });
}

export interface AdagradOptions {
  /** Default 0.01. */
  learningRate?: LearningRate;
  /** The accumulator's starting value (default 0, as PyTorch; tfjs and Keras use 0.1). */
  initialAccumulatorValue?: number;
  /** Default 1e-10, added to sqrt of the accumulator. */
  epsilon?: number;
}

/** Adagrad (Duchi et al.): s += g²; w -= lr · g / (sqrt(s) + ε), as torch.optim.Adagrad. */
export function adagrad(
  options: LearningRate | AdagradOptions = {},
  rest?: Omit<AdagradOptions, 'learningRate'>,
): Optimizer {
  const o = optionsOf<AdagradOptions>(options, rest);
  const { initialAccumulatorValue = 0, epsilon = 1e-10 } = o;
  return makeOptimizer('adagrad', o.learningRate ?? 0.01, {
    slots: (v) => ({ accumulator: () => full(v.shape, initialAccumulatorValue) }),
    update: (w, g, { accumulator }, lr) => {
      const s = add(accumulator!.value, square(g));
      accumulator!.assign(s);
      w.assign(sub(w.value, mul(lr, div(g, add(sqrt(s), epsilon)))));
    },
  });
}
