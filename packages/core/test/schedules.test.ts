/**
 * Learning-rate schedules against their formulas (Keras / optax) at several steps, and gradient
 * clipping against hand-computed values.
 */
import { describe, expect, it } from '@jest/globals';
import {
  clipByGlobalNorm,
  clipByValue,
  cosineDecay,
  exponentialDecay,
  globalNorm,
  KilnArgumentError,
  linearWarmup,
  scalar,
  tensor,
  variable,
  type Schedule,
  type Tensor,
} from '../src/index.ts';
import { caught, expectClose, expectTensor } from './helpers.ts';

const STEPS = [0, 1, 2, 5, 10, 37, 100, 250];

function expectSchedule(schedule: Schedule, formula: (t: number) => number): void {
  const actual = STEPS.map((t) => schedule(t).item() as number);
  expectClose(actual, STEPS.map(formula), 1e-6, 1e-9, 'schedule');
}

describe('schedules', () => {
  it('exponentialDecay: initial · rate^(t / steps)', () => {
    expectSchedule(
      exponentialDecay({ initialValue: 0.1, decaySteps: 10, decayRate: 0.5 }),
      (t) => 0.1 * 0.5 ** (t / 10),
    );
  });

  it('exponentialDecay with staircase decays in whole periods', () => {
    const s = exponentialDecay({ initialValue: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
    expectSchedule(s, (t) => 0.1 * 0.5 ** Math.floor(t / 10));
    // By hand: steps 0..9 keep 0.1, step 10 halves it, step 37 has halved three times.
    expect([9, 10, 37].map((t) => s(t).item())).toEqual([0.1, 0.05, 0.0125].map(Math.fround));
  });

  it('cosineDecay: a half cosine from initial to alpha · initial, then flat', () => {
    const s = cosineDecay({ initialValue: 0.2, decaySteps: 100, alpha: 0.1 });
    expectSchedule(s, (t) => 0.2 * (0.9 * 0.5 * (1 + Math.cos((Math.PI * Math.min(t, 100)) / 100)) + 0.1));
    // By hand: the start, halfway (cos = 0: 0.2 · (0.45 + 0.1)) and the end.
    expectClose(
      [0, 50, 100, 250].map((t) => s(t).item() as number),
      [0.2, 0.11, 0.02, 0.02],
      1e-6,
      1e-8,
    );
  });

  it('linearWarmup rises linearly to the schedule, which then starts from its own step 0', () => {
    const decay = cosineDecay({ initialValue: 1, decaySteps: 90 });
    const s = linearWarmup(decay, { warmupSteps: 10, initialValue: 0.1 });
    expectSchedule(s, (t) =>
      t < 10 ? 0.1 + ((1 - 0.1) * t) / 10 : 0.5 * (1 + Math.cos((Math.PI * Math.min(t - 10, 90)) / 90)),
    );
    expectSchedule(linearWarmup(0.5, { warmupSteps: 4 }), (t) => (t < 4 ? (0.5 * t) / 4 : 0.5));
  });

  it('takes the step as a number, an i32 or an f32 scalar tensor', () => {
    const s = exponentialDecay({ initialValue: 1, decaySteps: 2, decayRate: 0.25 });
    expect([s(4), s(scalar(4, 'i32')), s(scalar(4))].map((t: Tensor) => t.item())).toEqual([0.0625, 0.0625, 0.0625]);
  });

  it('rejects bad options with the schedule named', () => {
    expect(caught(() => exponentialDecay({ initialValue: 1, decaySteps: 0, decayRate: 0.5 })).detail).toBe(
      'exponentialDecay: decaySteps must be a positive number, got 0',
    );
    expect(caught(() => cosineDecay({ initialValue: Number.NaN, decaySteps: 1 })).detail).toBe(
      'cosineDecay: initialValue must be a finite number, got NaN',
    );
    expect(caught(() => linearWarmup(1, { warmupSteps: -1 }))).toBeInstanceOf(KilnArgumentError);
  });
});

describe('clipping', () => {
  // Global norm of {a: [3, 4], b: [[12]]} = sqrt(9 + 16 + 144) = 13.
  const tree = () => ({ a: tensor([3, 4]), b: [tensor([[12]])] });

  it('globalNorm is the norm of every element of every leaf', () => {
    expect(globalNorm(tree()).item()).toBe(13);
    expect(globalNorm([variable([1, 1]), tensor([1, 1])]).item()).toBe(2);
  });

  it('clipByGlobalNorm scales every leaf by maxNorm / norm when the norm is larger', () => {
    const clipped = clipByGlobalNorm(tree(), 6.5); // scale 1/2
    expectTensor(clipped.a, [2], [1.5, 2]);
    expectTensor(clipped.b[0]!, [1, 1], [[6]]);
    expect(globalNorm(clipped).item()).toBeCloseTo(6.5, 5);
  });

  it('clipByGlobalNorm leaves a tree within the norm unchanged', () => {
    const clipped = clipByGlobalNorm(tree(), 13);
    expectTensor(clipped.a, [2], [3, 4], 0, 0);
    expectTensor(clipByGlobalNorm(tree(), 100).b[0]!, [1, 1], [[12]], 0, 0);
  });

  it('clipByValue clamps each element', () => {
    const clipped = clipByValue({ g: tensor([-3, -0.5, 0, 2, 7]) }, -1, 2);
    expectTensor(clipped.g, [5], [-1, -0.5, 0, 2, 2], 0, 0);
  });

  it('rejects a bad bound', () => {
    expect(caught(() => clipByGlobalNorm(tree(), 0)).detail).toBe(
      'clipByGlobalNorm: maxNorm must be a positive number, got 0',
    );
    expect(caught(() => clipByValue(tree(), 2, 1)).detail).toBe('clipByValue: needs numbers min <= max, got 2 and 1');
  });
});
