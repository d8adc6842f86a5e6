/**
 * @file cond, whileLoop and scan: every construct agrees three ways (eager JS control flow, the
 * traced IR interpreter, traced Wasm), with and without the passes, traced once for inputs taking
 * different paths; cond and scan gradients against finite differences, eagerly and traced.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';
import { DEFAULT_PASSES, type Tensor } from '../src/index.ts';
import { expectTreeClose, type Tolerance } from '../../tracer/test/support/compare.ts';
import { caught, checkGradients, lineHere, randomTensor } from '../../core/test/helpers.ts';

const BACKENDS: [string, Tolerance][] = [
  ['interpreter', { rtol: 1e-5, atol: 1e-6 }],
  ['wasm', { rtol: 2e-4, atol: 2e-5 }],
];
const PASS_SETS: [string, readonly string[]][] = [
  ['all passes', DEFAULT_PASSES],
  ['no passes', []],
];

interface Construct {
  name: string;
  fn: (...args: Tensor[]) => unknown;
  /** Input sets; together they take every path (both branches, several trip counts). */
  inputs: Tensor[][];
}

const i32 = (x: number): Tensor => k.scalar(x, 'i32');
const vec = (...xs: number[]): Tensor => k.tensor(xs);

const CONSTRUCTS: Construct[] = [
  {
    name: 'cond picks a branch by a tensor predicate',
    fn: (x) =>
      k.cond(
        k.greater(k.sum(x), 0),
        () => k.mul(x, 2),
        () => k.sub(k.exp(x), 1),
      ),
    inputs: [[vec(1, 2, -0.5)], [vec(-1, -2, 0.5)]],
  },
  {
    name: 'cond with pytree results, captures and a nested cond',
    fn: (x, y) => {
      const s = k.sum(x);
      return k.cond(
        k.less(s, 0),
        () => ({ a: k.neg(x), b: [k.mul(y, s)] }),
        () =>
          k.cond(
            k.greater(s, 10),
            () => ({ a: k.sqrt(x), b: [k.add(y, 1)] }),
            () => ({ a: k.square(x), b: [y] }),
          ),
      );
    },
    inputs: [
      [vec(-1, -2, -3), vec(4, 5)],
      [vec(4, 5, 6), vec(1, 2)],
      [vec(1, 2, 3), vec(7, 8)],
    ],
  },
  {
    name: 'whileLoop doubles until the sum passes a bound, counting steps',
    fn: (x) =>
      k.whileLoop(
        ([v]: [Tensor, Tensor]) => k.less(k.sum(v), 100),
        ([v, n]: [Tensor, Tensor]) => [k.mul(v, 2), k.add(n, 1)] as [Tensor, Tensor],
        [x, i32(0)] as [Tensor, Tensor],
      ),
    inputs: [[vec(1, 2, 3)], [vec(30, 30, 30)], [vec(200, 0, 0)]],
  },
  {
    name: 'whileLoop whose state swaps (Fibonacci)',
    fn: (n) =>
      k.whileLoop(
        (s: { a: Tensor; b: Tensor; i: Tensor }) => k.less(s.i, n),
        (s) => ({ a: s.b, b: k.add(s.a, s.b), i: k.add(s.i, 1) }),
        { a: vec(0, 1), b: vec(1, 1), i: i32(0) },
      ),
    inputs: [[i32(0)], [i32(1)], [i32(10)]],
  },
  {
    name: 'scan: running sums with per-step outputs',
    fn: (xs) => k.scan((c: Tensor, x: Tensor) => [k.add(c, x), k.mul(c, x)], k.zeros([3]), xs),
    inputs: [[randomTensor([5, 3], 1)]],
  },
  {
    name: 'scan in reverse over two xs with a pytree carry',
    fn: (xs, ws) =>
      k.scan(
        (c: { h: Tensor; n: Tensor }, [x, w]: [Tensor, Tensor]) => {
          const h = k.tanh(k.add(k.mul(c.h, w), x));
          return [
            { h, n: k.add(c.n, 1) },
            { h, s: k.sum(h) },
          ];
        },
        { h: k.zeros([4]), n: i32(0) },
        [xs, ws],
        { reverse: true },
      ),
    inputs: [[randomTensor([6, 4], 2), randomTensor([6, 4], 3)]],
  },
  {
    name: 'scan of a matmul cell whose body a whileLoop repeats',
    fn: (xs, w) =>
      k.scan(
        (h: Tensor, x: Tensor) => {
          const [g] = k.whileLoop(
            ([, i]: [Tensor, Tensor]) => k.less(i, 2),
            ([v, i]: [Tensor, Tensor]) => [k.tanh(k.matmul(v, w)), k.add(i, 1)] as [Tensor, Tensor],
            [k.add(h, x), i32(0)] as [Tensor, Tensor],
          );
          return [
            g,
            k.cond(
              k.greater(k.sum(g), 0),
              () => g,
              () => k.neg(g),
            ),
          ];
        },
        k.zeros([1, 3]),
        xs,
      ),
    inputs: [[randomTensor([4, 1, 3], 4), randomTensor([3, 3], 5)]],
  },
];

describe.each(BACKENDS)('control flow traced on %s equals eager', (backend, tolerance) => {
  describe.each(PASS_SETS)('with %s', (_label, passes) => {
    it.each(CONSTRUCTS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const traced = k.trace(c.fn, { backend, passes, name: 'construct' });
      for (const args of c.inputs) expectTreeClose(traced(...args), c.fn(...args), tolerance, 'result');
      expect(traced.tracingCount).toBe(1);
    });
  });
});

describe('variables read and assigned inside control flow', () => {
  const program = () => {
    const total = k.variable(k.zeros([2]), { name: 'total' });
    const steps = k.variable(i32(0), { name: 'steps' });
    const fn = (x: Tensor) => {
      k.cond(
        k.greater(k.sum(x), 0),
        () => total.assign(k.add(total.value, x)),
        () => {},
      );
      k.whileLoop(
        (_i: Tensor) => k.less(k.sum(total.value), 20),
        (i: Tensor) => {
          total.assign(k.mul(total.value, 2));
          steps.assign(k.add(steps.value, 1));
          return k.add(i, 1);
        },
        i32(0),
      );
      return k.scan(
        (c: Tensor, xi: Tensor) => {
          total.assign(k.add(total.value, xi));
          return [k.add(c, total.value), total.value];
        },
        k.zeros([2]),
        k.stack([x, x]),
      );
    };
    return { total, steps, fn };
  };
  const inputs = [vec(1, 2), vec(-1, -3), vec(0.5, 0.5)];

  it.each(BACKENDS)('on %s they end as eagerly', (backend, tolerance) => {
    const eager = program();
    const traced = program();
    const t = k.trace(traced.fn, { backend });
    for (const x of inputs) {
      expectTreeClose(t(x), eager.fn(x), tolerance, 'result');
      expectTreeClose([traced.total.value, traced.steps.value], [eager.total.value, eager.steps.value], tolerance);
    }
    expect(t.tracingCount).toBe(1);
  });
});

describe('gradients', () => {
  const condLoss = (x: Tensor, w: Tensor) =>
    k.sum(
      k.cond(
        k.greater(k.sum(x), 0),
        () => k.mul(k.tanh(k.mul(x, w)), w),
        () => k.exp(k.mul(x, 0.5)),
      ),
    );
  const scanLoss = (xs: Tensor, w: Tensor, h0: Tensor) => {
    const [h, ys] = k.scan(
      (c: Tensor, x: Tensor) => {
        const n = k.tanh(k.add(k.matmul(c, w), x));
        return [n, k.square(n)];
      },
      h0,
      xs,
    );
    return k.add(k.sum(h), k.mean(ys));
  };
  const condInputs: [Tensor, Tensor][] = [
    [randomTensor([3], 6, 0.1, 1), randomTensor([3], 7)],
    [randomTensor([3], 8, -1, -0.1), randomTensor([3], 9)],
  ];
  const scanInputs: [Tensor, Tensor, Tensor] = [
    randomTensor([5, 1, 3], 10),
    randomTensor([3, 3], 11),
    randomTensor([1, 3], 12),
  ];

  it('of cond (both branches) and scan match finite differences eagerly', () => {
    for (const inputs of condInputs) checkGradients(condLoss, inputs);
    checkGradients(scanLoss, scanInputs);
  });

  it('of a reverse scan with two xs match finite differences', () => {
    const loss = (xs: Tensor, ws: Tensor) =>
      k.sum(
        k.scan((c: Tensor, [x, w]: [Tensor, Tensor]) => [k.mul(k.add(c, x), w), c], k.ones([2]), [xs, ws], {
          reverse: true,
        })[1],
      );
    checkGradients(loss, [randomTensor([4, 2], 13), randomTensor([4, 2], 14)]);
  });

  describe.each(BACKENDS)('traced on %s', (backend, tolerance) => {
    it('of cond equal the eager ones for each branch, traced once', () => {
      const g = (x: Tensor, w: Tensor) => k.valueAndGrad(condLoss, [0, 1])(x, w);
      const traced = k.trace(g, { backend });
      for (const inputs of condInputs) expectTreeClose(traced(...inputs), g(...inputs), tolerance, 'gradients');
      expect(traced.tracingCount).toBe(1);
      expect(traced.ir(...condInputs[0]!)).toMatch(/= cond .*\n[\s\S]*= cond /); // forward and backward
    });

    it('of scan equal the eager ones; the backward is a reverse scan', () => {
      const g = (xs: Tensor, w: Tensor, h0: Tensor) => k.grad(scanLoss, [0, 1, 2])(xs, w, h0);
      const traced = k.trace(g, { backend });
      expectTreeClose(traced(...scanInputs), g(...scanInputs), tolerance, 'gradients');
      expect(traced.ir(...scanInputs)).toMatch(/scan\[carried=2, sliced=3, length=5, reverse=true\]/);
    });
  });

  it('of whileLoop are a clear error suggesting scan, eagerly and traced', () => {
    const loss = (x: Tensor) =>
      k.sum(
        k.whileLoop(
          (v: Tensor) => k.less(k.sum(v), 10),
          (v: Tensor) => k.mul(v, 2),
          x,
        ),
      );
    for (const run of [() => k.grad(loss)(vec(1, 2)), () => k.trace((x: Tensor) => k.grad(loss)(x))(vec(1, 2))]) {
      expect(run).toThrow(k.KilnGradientError);
      expect(run).toThrow(
        /whileLoop: cannot differentiate through a while loop.*use scan with a fixed number of steps/,
      );
    }
  });
});

describe("errors point at the user's line", () => {
  it('a branch mismatch names both branches and the line of the cond call', () => {
    const line = lineHere() + 2; // the line of `k.cond(`
    const f = k.trace((x: Tensor) =>
      k.cond(
        k.greater(k.sum(x), 0),
        () => x,
        () => k.sum(x),
      ),
    );
    const e = caught(() => f(vec(1, 2)));
    expect(e.detail).toMatch(/from the true branch but .* from the false branch/);
    expect(e.location?.file).toMatch(/control-flow\.test\.ts$/);
    expect(e.location?.line).toBe(line);
  });
});
