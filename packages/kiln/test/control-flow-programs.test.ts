/**
 * @file Whole programs built on control flow: an RNN training step (tanh cell, scan over 32
 * steps) traced once and equal to its unrolled eager version after 5 steps, and a Newton
 * iteration whose stopping test is a tensor, traced once and right for inputs that need
 * different iteration counts. Both run on the IR interpreter and on Wasm.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';
import type { Tensor } from '../src/index.ts';
import { expectTreeClose, type Tolerance } from '../../tracer/test/support/compare.ts';
import { randomTensor } from '../../core/test/helpers.ts';

const BACKENDS: [string, Tolerance][] = [
  ['interpreter', { rtol: 1e-5, atol: 1e-6 }],
  ['wasm', { rtol: 1e-3, atol: 1e-5 }],
];

const STEPS = 32;
const [BATCH, INPUT, HIDDEN] = [4, 3, 8];

interface Rnn {
  params: { wx: k.Variable; wh: k.Variable; b: k.Variable; wo: k.Variable };
  opt: k.Optimizer;
}

function makeRnn(): Rnn {
  const v = (t: Tensor, name: string) => k.variable(t, { name });
  return {
    params: {
      wx: v(k.mul(randomTensor([INPUT, HIDDEN], 20), 0.5), 'wx'),
      wh: v(k.mul(randomTensor([HIDDEN, HIDDEN], 21), 0.3), 'wh'),
      b: v(k.zeros([HIDDEN]), 'b'),
      wo: v(k.mul(randomTensor([HIDDEN, 1], 22), 0.5), 'wo'),
    },
    opt: k.sgd({ learningRate: 0.05 }),
  };
}

type P = { wx: Tensor; wh: Tensor; b: Tensor; wo: Tensor };
const cell = (p: P, h: Tensor, x: Tensor): Tensor => k.tanh(k.add(k.add(k.matmul(x, p.wx), k.matmul(h, p.wh)), p.b));
const readout = (p: P, h: Tensor, y: Tensor): Tensor => k.mean(k.square(k.sub(k.matmul(h, p.wo), y)));

/** The step with scan: one scan node, however many time steps. */
function scanStep(rnn: Rnn, xs: Tensor, y: Tensor): Tensor {
  const loss = (p: P) => {
    const [h] = k.scan((c: Tensor, x: Tensor) => [cell(p, c, x), null], k.zeros([BATCH, HIDDEN]), xs);
    return readout(p, h, y);
  };
  const [value, grads] = k.valueAndGrad(loss)(rnn.params);
  rnn.opt.apply(rnn.params, grads);
  return value;
}

/** The same step with a JS loop, run eagerly. */
function unrolledStep(rnn: Rnn, xs: Tensor, y: Tensor): Tensor {
  const loss = (p: P) => {
    let h = k.zeros([BATCH, HIDDEN]);
    for (let t = 0; t < STEPS; t++) h = cell(p, h, k.squeeze(k.slice(xs, [t, 0, 0], [1, BATCH, INPUT]), 0));
    return readout(p, h, y);
  };
  const [value, grads] = k.valueAndGrad(loss)(rnn.params);
  rnn.opt.apply(rnn.params, grads);
  return value;
}

describe.each(BACKENDS)('on %s', (backend, tolerance) => {
  it('an RNN training step with scan over 32 steps, traced once, equals the unrolled eager step after 5 steps', () => {
    const xs = randomTensor([STEPS, BATCH, INPUT], 23);
    const y = randomTensor([BATCH, 1], 24);
    const traced = makeRnn();
    const eager = makeRnn();
    const step = k.trace((a: Tensor, b: Tensor) => scanStep(traced, a, b), { backend, name: 'rnnStep' });
    const losses: [number, number][] = [];
    for (let s = 0; s < 5; s++)
      losses.push([step(xs, y).item() as number, unrolledStep(eager, xs, y).item() as number]);
    expect(step.tracingCount).toBe(1);
    expect(step.ir(xs, y).match(/= scan\[/g)).toHaveLength(2); // forward and the reverse (backward) scan
    expectTreeClose(
      losses.map(([a]) => k.scalar(a)),
      losses.map(([, b]) => k.scalar(b)),
      tolerance,
      'losses',
    );
    expect(losses[4]![0]).toBeLessThan(losses[0]![0]); // it learns
    expectTreeClose(traced.params, eager.params, tolerance, 'parameters');
  });

  it('a Newton square root stops on a tensor test, traced once, for inputs needing different iteration counts', () => {
    const newton = (a: Tensor) =>
      k.whileLoop(
        ([x, i]: [Tensor, Tensor]) =>
          k.logicalAnd(k.greater(k.max(k.abs(k.sub(k.div(k.mul(x, x), a), 1))), 1e-6), k.less(i, 60)),
        ([x, i]: [Tensor, Tensor]) => [k.mul(k.add(x, k.div(a, x)), 0.5), k.add(i, 1)] as [Tensor, Tensor],
        [a, k.scalar(0, 'i32')] as [Tensor, Tensor],
      );
    const traced = k.trace(newton, { backend });
    const counts = new Set<number>();
    for (const values of [
      [4, 9, 2],
      [1e6, 3, 0.01],
      [1, 1, 1],
    ]) {
      const a = k.tensor(values);
      const [root, iterations] = traced(a);
      const [, eagerIterations] = newton(a);
      expect(iterations.item()).toBe(eagerIterations.item());
      expect(iterations.item()).toBeLessThan(60);
      counts.add(iterations.item() as number);
      expectTreeClose(root, k.tensor(values.map(Math.sqrt)), { rtol: 1e-5, atol: 0 }, 'root');
    }
    expect(counts.size).toBe(3);
    expect(traced.tracingCount).toBe(1);
  });
});
