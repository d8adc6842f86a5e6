/**
 * Bugs the differential fuzzer found, each kept as the small program it shrank to (tidied).
 * Every case runs eagerly and traced on the interpreter and on Wasm, passes on and off.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';
import { sharedMemory, type Tensor } from '../src/index.ts';
import { expectTreeClose, type Tolerance } from '../../tracer/test/support/compare.ts';

const MODES: [string, k.TraceOptions, Tolerance][] = [
  ['interpreter', { backend: 'interpreter' }, { rtol: 1e-5, atol: 1e-6 }],
  ['interpreter, no passes', { backend: 'interpreter', passes: [] }, { rtol: 1e-5, atol: 1e-6 }],
  ['wasm', { backend: 'wasm' }, { rtol: 2e-4, atol: 2e-5 }],
  ['wasm, no passes', { backend: 'wasm', passes: [] }, { rtol: 2e-4, atol: 2e-5 }],
];

/** Asserts `fn(...args)` traced in every mode equals eager (twice: the second call reuses the compiled code). */
function expectAgrees(fn: (...xs: Tensor[]) => unknown, ...args: Tensor[]): void {
  const eager = fn(...args);
  for (const [name, options, tolerance] of MODES) {
    const traced = k.trace(fn, options);
    expectTreeClose(traced(...args), eager, tolerance, `${name}, first call`);
    expectTreeClose(traced(...args), eager, tolerance, `${name}, second call`);
    traced.clearCache();
  }
}

const t = (values: k.NestedArray[] | number, shape?: number[], dtype?: k.DType): Tensor =>
  k.tensor(values as k.NestedArray[], shape, dtype);

describe('fuzzer regressions', () => {
  // Wasm row kernels took a reduction over size-1 axes (one column, so per-row and full values
  // have the same shape) for a full-row value and never stored it.
  it('reduces over size-1 axes with keepDims', () => {
    expectAgrees((x) => k.sum(x, 2, true), t([[[1]]]));
    expectAgrees((x) => k.mean(x, -1, true), t([1]));
    expectAgrees((x) => k.logSoftmax(x, -1), t([[1]]));
    expectAgrees((x) => k.logSumExp(x, [0, 1, 2], true), t([[[1]]]));
    expectAgrees((x) => k.softmax(x, -1), t([[0.5], [-2]]));
  });

  // A bool operand of a fused matmul epilogue was addressed with 4-byte elements.
  it('reads bool operands of a matmul epilogue', () => {
    const a = t([
      [-0.47, 1.27],
      [1.12, 0.07],
    ]);
    const b = t([[1.5], [0.5]]);
    const cond = t([[false], [true]], [2, 1], 'bool');
    expectAgrees((x, y, c) => k.where(c!, k.matmul(x!, y!, { transposeA: true }), y!), a, b, cond);
  });

  // An empty captured constant got no address in Wasm memory.
  it('concatenates an empty captured constant', () => {
    const empty = k.zeros([2, 0], 'i32');
    expectAgrees(
      (x, y) => k.concat([y!, empty, x!], 1),
      t([[3], [-2]], [2, 1], 'i32'),
      t([[64], [-80]], [2, 1], 'i32'),
    );
  });

  // Wasm converted the f64 results of i32 pow, div and mod by saturating; eager stores them in an
  // Int32Array, which wraps (and turns Infinity into 0).
  it('wraps i32 pow and division results like eager', () => {
    const base = t([1, 0, 1, 2, -2, 5], undefined, 'i32');
    const exponent = t([5, -5, -1, 31, 31, 20], undefined, 'i32');
    expectAgrees((a, b) => k.pow(a!, b!), base, exponent);
    expectAgrees((a, b) => k.div(a!, b!), t([-2147483648, 7], undefined, 'i32'), t([-1, 0], undefined, 'i32'));
  });

  // Eager squared, multiplied (prod) and summed products (matmul) of i32 in doubles, which lose
  // bits past 2^53; Wasm wraps like i32 arithmetic (and like eager's mul, via Math.imul).
  it('wraps large i32 products like i32 arithmetic', () => {
    expectAgrees((x) => k.square(x), t([-6, 0, -2147483645, 5], undefined, 'i32'));
    expectAgrees(
      (x) => k.prod(x, [1, 4]),
      t(
        [
          [
            [[[-1150]]],
            [[[-1150]]],
            [[[-1150]]],
            [[[-1150]]],
            [[[-1150]]],
            [[[-1150]]],
            [[[-1150]]],
            [[[-1150]]],
            [[[-1150]]],
          ],
        ],
        undefined,
        'i32',
      ),
    );
    expectAgrees(
      (a, b) => k.matmul(a!, b!),
      t([[2147483645, 3]], undefined, 'i32'),
      t([[2147483645], [7]], undefined, 'i32'),
    );
    expect(k.prod(k.full([30], 5, 'i32')).item()).toBe(433305513);
  });

  // Fusion pulled an elementwise producer of a matmul operand into fused.matmul, whose kernel
  // reads its operands from memory, so it read garbage.
  it('keeps what feeds a matmul out of its fused epilogue', () => {
    const f = (w: Tensor, x: Tensor): Tensor => {
      const m = k.maximum(x, 2);
      return k.sub(k.matmul(m, w, { transposeB: true }), m);
    };
    expectAgrees(f, k.ones([3, 3]), k.ones([1, 3]));
    expect(k.trace(f).ir(k.ones([3, 3]), k.ones([1, 3]), { stage: 'fused' })).toContain(
      '%1: f32[1,3] = maximum %x, %0',
    );
  });

  // Wasm's sign turned -0 into +0 (eager keeps it, as Math.sign does), flipping 1/sign(x) to +Inf.
  it('keeps the sign of zero through sign', () => {
    expectAgrees((x) => k.rsqrt(k.sign(x)), t([-0, 0, -2, 3, NaN]));
    expectAgrees((x) => k.reciprocal(k.sign(x)), k.scalar(-0));
  });

  // simplify rewrote x + 0 to x, but -0 + 0 is +0: rsqrt then gave -Inf where eager gives +Inf.
  it('keeps x + 0 when x may be -0', () => {
    expectAgrees((x) => k.rsqrt(k.add(x, 0)), t([[0, -0]]));
    expectAgrees((x) => k.reciprocal(k.sub(x, -0)), t([-0, 2]));
    expectAgrees((x) => k.reciprocal(k.add(x, -0)), t([-0, 2]));
  });

  // The parser took a parameter named %0, which printed the same as node 0: the printed graph no
  // longer parsed. (Found by the IR parser fuzzer.)
  it('rejects parameter names the printer gives to node values', () => {
    const text = 'graph @g(%0: f32[2], %ys1: f32[2]) {\n  %ys0: f32[2] = neg %0\n  return %ys0\n}';
    expect(() => k.parseGraph(text)).toThrow(k.KilnParseError);
    expect(() => k.parseGraph(text)).toThrow(
      'IR parse error at line 1, column 10: a parameter cannot be named like a node value, found "%0"',
    );
    const body =
      'graph @g(%x: f32[2]) {\n  %0: f32[2] = fused.elementwise %x {\n    (%t0: f32[2])\n    %t1: f32[2] = neg %t0\n    yield %t1\n  }\n  return %0\n}';
    expect(() => k.parseGraph(body)).toThrow('line 3, column 6: a parameter cannot be named like a node value');
  });

  // clearCache() dropped compiled functions without freeing their Wasm memory and module.
  it('frees compiled code on clearCache', () => {
    const weights = k.randomUniform([32, 32], { seed: 1 });
    const f = k.trace((x: Tensor) => k.matmul(x, weights));
    f(k.ones([1, 32]));
    const before = sharedMemory().reservedBytes;
    f.clearCache();
    expect(sharedMemory().reservedBytes).toBeLessThan(before);
  });
});
