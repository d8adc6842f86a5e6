/**
 * @file Learning-rate schedules: functions of the optimizer's step count (the number of updates
 * made before this one, so the first update sees step 0, as in optax and Keras). They are built
 * from tensor ops, so a traced training step computes the rate from its step variable on every
 * call and never retraces. Names and formulas follow Keras (`ExponentialDecay`, `CosineDecay`)
 * and optax (`linear_schedule` joined to a decay for warm-up).
 */
import { KilnArgumentError } from './errors.ts';
import type { Tensor } from './tensor.ts';
import { add, asTensor, cast, cos, div, floor, less, maximum, minimum, mul, pow, sub, where } from './ops/api.ts';
import type { TensorLike } from './ops/api.ts';

/** A learning rate as a function of the step (an f32 or i32 scalar, or a plain number). */
export type Schedule = (step: TensorLike) => Tensor;

function positive(op: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) {
    throw new KilnArgumentError(`${op}: ${name} must be a positive number, got ${String(x)}`);
  }
  return x;
}

function finite(op: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x))
    throw new KilnArgumentError(`${op}: ${name} must be a finite number, got ${String(x)}`);
  return x;
}

const stepTensor = (step: TensorLike): Tensor => cast(asTensor(step, 'schedule', 'step'), 'f32');

export interface ExponentialDecayOptions {
  initialValue: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole periods: rate^floor(step / decaySteps) (default false). */
  staircase?: boolean;
}

/** initialValue · decayRate^(step / decaySteps), like Keras's ExponentialDecay. */
export function exponentialDecay(options: ExponentialDecayOptions): Schedule {
  const initial = finite('exponentialDecay', 'initialValue', options.initialValue);
  const steps = positive('exponentialDecay', 'decaySteps', options.decaySteps);
  const rate = positive('exponentialDecay', 'decayRate', options.decayRate);
  return (step) => {
    const periods = div(stepTensor(step), steps);
    return mul(initial, pow(rate, options.staircase ? floor(periods) : periods));
  };
}

export interface CosineDecayOptions {
  initialValue: number;
  decaySteps: number;
  /** The floor, as a fraction of initialValue, reached at decaySteps and kept after (default 0). */
  alpha?: number;
}

/** initialValue · ((1 - alpha) · (1 + cos(π · min(step, decaySteps) / decaySteps)) / 2 + alpha), like Keras's CosineDecay. */
export function cosineDecay(options: CosineDecayOptions): Schedule {
  const initial = finite('cosineDecay', 'initialValue', options.initialValue);
  const steps = positive('cosineDecay', 'decaySteps', options.decaySteps);
  const alpha = finite('cosineDecay', 'alpha', options.alpha ?? 0);
  return (step) => {
    const progress = div(minimum(stepTensor(step), steps), steps);
    const cosine = mul(0.5, add(1, cos(mul(Math.PI, progress))));
    return mul(initial, add(mul(1 - alpha, cosine), alpha));
  };
}

export interface LinearWarmupOptions {
  warmupSteps: number;
  /** The rate at step 0 (default 0). */
  initialValue?: number;
}

/**
 * Rises linearly from initialValue to `after`'s first value over warmupSteps, then follows
 * `after` (a number or a schedule, which starts again at 0 when the warm-up ends), as optax's
 * `warmup_cosine_decay_schedule` joins a linear schedule to a cosine decay.
 */
export function linearWarmup(after: number | Schedule, options: LinearWarmupOptions): Schedule {
  const warmup = positive('linearWarmup', 'warmupSteps', options.warmupSteps);
  const initial = finite('linearWarmup', 'initialValue', options.initialValue ?? 0);
  if (typeof after !== 'number' && typeof after !== 'function') {
    throw new KilnArgumentError(`linearWarmup: the schedule after the warm-up must be a number or a schedule`);
  }
  const rest: Schedule = typeof after === 'number' ? () => asTensor(after, 'linearWarmup') : after;
  return (step) => {
    const t = stepTensor(step);
    const peak = rest(0);
    const rising = add(initial, mul(sub(peak, initial), div(t, warmup)));
    return where(less(t, warmup), rising, rest(maximum(sub(t, warmup), 0)));
  };
}
