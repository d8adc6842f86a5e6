import { describe, expect, it, jest } from '@jest/globals';
import {
  abs,
  cast,
  ceil,
  print,
  cos,
  erf,
  exp,
  expm1,
  floor,
  gelu,
  KilnDTypeError,
  leakyRelu,
  log,
  log1p,
  logicalNot,
  neg,
  reciprocal,
  relu,
  round,
  rsqrt,
  scalar,
  sigmoid,
  sign,
  sin,
  softplus,
  silu,
  hardSigmoid,
  sqrt,
  square,
  stopGradient,
  tanh,
  tensor,
  zeros,
  type DType,
  type Tensor,
  type UnaryOp,
} from '../src/index.ts';
import { caught, expectTensor } from './helpers.ts';

/** Inputs away from the edges of every op's domain. */
const GENERAL = [-2.5, -1, -0.3, 0, 0.3, 1, 2.5];
const POSITIVE = [0.01, 0.5, 1, 2, 100];

interface UnaryRow {
  fn: (x: Tensor) => Tensor;
  /** Inputs for the reference comparison. */
  input: number[];
  /** An independent double-precision reference. */
  ref: (x: number) => number;
  /** Hand-written [input, expected] pairs: special values, published tables. */
  special?: [number, number][];
  /** i32 [input, expected] pairs for ops that accept i32. */
  i32?: [number[], number[]];
}

/** erf from published table values (only the points the rows below use). */
function erfTable(x: number): number {
  const table: Record<string, number> = { '0': 0, '0.5': 0.5204998778130465, '1': 0.8427007929497149 };
  const v = table[String(Math.abs(x))];
  if (v === undefined) throw new Error(`no table value for erf(${x})`);
  return Math.sign(x) * v;
}

/** One row per unary op; the Record type makes a missing op a compile error. */
const UNARY: Record<Exclude<UnaryOp, 'logicalNot'>, UnaryRow> = {
  neg: {
    fn: neg,
    input: GENERAL,
    ref: (x) => 0 - x,
    special: [[Infinity, -Infinity]],
    i32: [
      [-3, 0, 5],
      [3, 0, -5],
    ],
  },
  abs: {
    fn: abs,
    input: GENERAL,
    ref: (x) => (x < 0 ? -x : x),
    special: [[-Infinity, Infinity]],
    i32: [
      [-3, 0, 5],
      [3, 0, 5],
    ],
  },
  sign: {
    fn: sign,
    input: GENERAL,
    ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
    special: [
      [-Infinity, -1],
      [1e-30, 1],
    ],
    i32: [
      [-3, 0, 5],
      [-1, 0, 1],
    ],
  },
  exp: {
    fn: exp,
    input: GENERAL,
    ref: (x) => Math.E ** x,
    special: [
      [1, 2.718281828459045],
      [-Infinity, 0],
      [Infinity, Infinity],
      [100, Infinity],
    ],
  },
  log: {
    fn: log,
    input: POSITIVE,
    ref: Math.log,
    special: [
      [Math.E, 1],
      [0, -Infinity],
      [-1, NaN],
      [Infinity, Infinity],
    ],
  },
  log1p: {
    fn: log1p,
    input: [-0.9, -0.1, 0, 1e-5, 1, 10],
    ref: (x) => 2 * Math.atanh(x / (2 + x)),
    special: [
      [-1, -Infinity],
      [1e-10, 1e-10],
      [-2, NaN],
    ],
  },
  expm1: {
    fn: expm1,
    input: GENERAL,
    ref: (x) => (2 * Math.tanh(x / 2)) / (1 - Math.tanh(x / 2)),
    special: [
      [1e-10, 1e-10],
      [-Infinity, -1],
    ],
  },
  sqrt: {
    fn: sqrt,
    input: POSITIVE,
    ref: (x) => x ** 0.5,
    special: [
      [4, 2],
      [0, 0],
      [-1, NaN],
      [Infinity, Infinity],
    ],
  },
  rsqrt: {
    fn: rsqrt,
    input: POSITIVE,
    ref: (x) => x ** -0.5,
    special: [
      [4, 0.5],
      [0, Infinity],
      [Infinity, 0],
    ],
  },
  square: {
    fn: square,
    input: GENERAL,
    ref: (x) => x * x,
    special: [[-Infinity, Infinity]],
    i32: [
      [-3, 0, 5],
      [9, 0, 25],
    ],
  },
  reciprocal: {
    fn: reciprocal,
    input: [-2.5, -1, -0.3, 0.3, 1, 2.5],
    ref: (x) => 1 / x,
    special: [
      [0, Infinity],
      [Infinity, 0],
    ],
  },
  sin: {
    fn: sin,
    input: GENERAL,
    ref: (x) => Math.cos(x - Math.PI / 2),
    special: [
      [Math.PI / 6, 0.5],
      [Infinity, NaN],
    ],
  },
  cos: { fn: cos, input: GENERAL, ref: (x) => Math.sin(x + Math.PI / 2), special: [[Math.PI / 3, 0.5]] },
  tanh: {
    fn: tanh,
    input: GENERAL,
    ref: (x) => (Math.exp(2 * x) - 1) / (Math.exp(2 * x) + 1),
    special: [
      [Infinity, 1],
      [-Infinity, -1],
      [50, 1],
    ],
  },
  sigmoid: {
    fn: sigmoid,
    input: GENERAL,
    ref: (x) => Math.exp(x) / (1 + Math.exp(x)),
    special: [
      [0, 0.5],
      [Infinity, 1],
      [-Infinity, 0],
      [-200, 0],
    ],
  },
  relu: {
    fn: relu,
    input: GENERAL,
    ref: (x) => (x > 0 ? x : 0),
    special: [
      [-Infinity, 0],
      [Infinity, Infinity],
    ],
    i32: [
      [-3, 0, 5],
      [0, 0, 5],
    ],
  },
  leakyRelu: {
    fn: (x) => leakyRelu(x),
    input: GENERAL,
    ref: (x) => (x > 0 ? x : 0.2 * x),
    special: [[-Infinity, -Infinity]],
  },
  gelu: {
    // The tanh form (the default); values at ±1 and 2 computed by hand from the formula.
    fn: (x) => gelu(x),
    input: GENERAL,
    ref: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
    special: [
      [1, 0.8411919906082768],
      [-1, -0.15880800939172324],
      [2, 1.954597694087775],
      [Infinity, Infinity],
    ],
  },
  erf: {
    fn: erf,
    input: [0, 0.5, 1, -0.5],
    ref: erfTable,
    special: [
      [0.1, 0.1124629160182849],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [-4, -0.9999999845827421],
      [Infinity, 1],
      [-Infinity, -1],
      [1e-8, 1.1283791670955126e-8],
    ],
  },
  softplus: {
    fn: softplus,
    input: GENERAL,
    ref: (x) => Math.log(1 + Math.exp(x)),
    special: [
      [0, Math.LN2],
      [100, 100],
      [-100, 0],
      [Infinity, Infinity],
      [-Infinity, 0],
    ],
  },
  silu: {
    // Through tanh: x·σ(x) = x·(1 + tanh(x/2))/2.
    fn: silu,
    input: [-6, ...GENERAL, 6],
    ref: (x) => (x * (1 + Math.tanh(x / 2))) / 2,
    special: [
      [0, 0],
      [1, 0.7310585786300049],
      [-1, -0.2689414213699951],
      [100, 100],
      [-200, -0],
      [Infinity, Infinity],
    ],
  },
  hardSigmoid: {
    // PyTorch's definition, piecewise: 0 at x <= -3, 1 at x >= 3, x/6 + 1/2 between.
    fn: hardSigmoid,
    input: [-4, -3, -2.9, ...GENERAL, 2.9, 3, 4],
    ref: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + 0.5),
    special: [
      [0, 0.5],
      [1.5, 0.75],
      [-1.5, 0.25],
      [-Infinity, 0],
      [Infinity, 1],
    ],
  },
  floor: {
    fn: floor,
    input: GENERAL,
    ref: (x) => x - (((x % 1) + 1) % 1),
    special: [
      [-0.5, -1],
      [Infinity, Infinity],
    ],
    i32: [
      [-3, 0, 5],
      [-3, 0, 5],
    ],
  },
  ceil: {
    fn: ceil,
    input: GENERAL,
    ref: (x) => -(-x - (((-x % 1) + 1) % 1)),
    special: [
      [-0.5, -0],
      [0.1, 1],
    ],
    i32: [
      [-3, 0, 5],
      [-3, 0, 5],
    ],
  },
  round: {
    // Half to even, like numpy.
    fn: round,
    input: [-2.6, -1.4, 0.4, 1.6],
    ref: (x) => (x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5)),
    special: [
      [-2.5, -2],
      [-1.5, -2],
      [-0.5, -0],
      [0.5, 0],
      [1.5, 2],
      [2.5, 2],
      [3.5, 4],
      [Infinity, Infinity],
    ],
    i32: [
      [-3, 0, 5],
      [-3, 0, 5],
    ],
  },
  stopGradient: {
    fn: stopGradient,
    input: GENERAL,
    ref: (x) => x,
    i32: [
      [-3, 7],
      [-3, 7],
    ],
  },
};

const rows = Object.entries(UNARY) as [UnaryOp, UnaryRow][];

describe('unary ops on f32', () => {
  it.each(rows)('%s matches its reference', (_op, { fn, input, ref }) => {
    const x = tensor(input, [input.length]);
    expectTensor(
      fn(x),
      [input.length],
      input.map((v) => ref(Math.fround(v))),
    );
  });

  it.each(rows.filter(([, row]) => row.special))('%s at special values', (_op, { fn, special }) => {
    const x = tensor(special!.map(([v]) => v));
    expectTensor(
      fn(x),
      [special!.length],
      special!.map(([, e]) => e),
    );
  });

  it.each(rows)('%s passes NaN through', (_op, { fn }) => {
    expect(Number.isNaN(fn(tensor([NaN])).dataSync()[0])).toBe(true);
  });

  it.each(rows)('%s keeps 0-d, size-0 and 3-d shapes', (_op, { fn, input, ref }) => {
    const x0 = scalar(input[1]!);
    expectTensor(fn(x0), [], [ref(Math.fround(input[1]!))]);
    expect(fn(zeros([0, 3])).shape).toEqual([0, 3]);
    const values = [...input, ...input].slice(0, 4);
    expectTensor(
      fn(tensor(values, [2, 1, 2])),
      [2, 1, 2],
      values.map((v) => ref(Math.fround(v))),
    );
  });
});

describe('unary ops on i32 and bool', () => {
  it.each(rows.filter(([, row]) => row.i32))('%s on i32', (_op, { fn, i32 }) => {
    const y = fn(tensor(i32![0], undefined, 'i32'));
    expect(y.dtype).toBe('i32');
    expect(Array.from(y.dataSync())).toEqual(i32![1]);
  });

  it.each(rows.filter(([, row]) => !row.i32))('%s rejects i32 with a hint to cast', (op, { fn }) => {
    const err = caught(() => fn(tensor([1, 2, 3], undefined, 'i32')));
    expect(err).toBeInstanceOf(KilnDTypeError);
    expect(err.detail).toBe(`${op}: expects f32, got i32[3]; cast(x, "f32") first`);
  });

  it.each(rows.filter(([op]) => op !== 'stopGradient'))('%s rejects bool', (op, { fn }) => {
    const err = caught(() => fn(tensor([true])));
    expect(err).toBeInstanceOf(KilnDTypeError);
    expect(err.detail).toMatch(new RegExp(`^${op}: expects f32( or i32)?, got bool\\[1\\]`));
  });

  it('logicalNot negates bool and accepts nothing else', () => {
    const y = logicalNot(
      tensor([
        [true, false],
        [false, false],
      ]),
    );
    expect(y.dtype).toBe('bool');
    expect(y.toArray()).toEqual([
      [false, true],
      [true, true],
    ]);
    expect(logicalNot(scalar(true)).toArray()).toBe(false);
    expect(caught(() => logicalNot(tensor([1]))).detail).toBe('logicalNot: expects bool, got f32[1]');
  });
});

describe('attributes of unary ops', () => {
  it('leakyRelu uses alpha', () => {
    expectTensor(leakyRelu(tensor([-2, 0, 3]), 0.1), [3], [-0.2, 0, 3]);
  });

  it('gelu has an exact erf form, x·Φ(x)', () => {
    const x = [-2, -1, -0.5, 0, 0.5, 1, 2];
    // Φ(x) from standard normal tables.
    const cdf: Record<number, number> = {
      [-2]: 0.022750131948179195,
      [-1]: 0.15865525393145707,
      [-0.5]: 0.3085375387259869,
      0: 0.5,
      0.5: 0.6914624612740131,
      1: 0.8413447460685429,
      2: 0.9772498680518208,
    };
    const expected = x.map((v) => v * cdf[v]!);
    expectTensor(gelu(tensor(x), { approximate: false }), [7], expected);
    expectTensor(gelu(tensor([1]), { approximate: false }), [1], [0.8413447460685429]);
  });
});

describe('cast', () => {
  it.each<[string, number[] | boolean[], DType, DType, number[]]>([
    [
      'f32 -> i32 truncates toward zero, saturates, NaN -> 0',
      [1.7, -1.7, NaN, 3e9, -3e9, Infinity],
      'f32',
      'i32',
      [1, -1, 0, 2147483647, -2147483648, 2147483647],
    ],
    ['f32 -> bool is x != 0 (NaN is true)', [0, -0, 2, NaN, -0.5], 'f32', 'bool', [0, 0, 1, 1, 1]],
    ['i32 -> f32', [-3, 16777217, 7], 'i32', 'f32', [-3, 16777216, 7]],
    ['i32 -> bool', [0, 5, -1], 'i32', 'bool', [0, 1, 1]],
    ['bool -> f32', [true, false], 'bool', 'f32', [1, 0]],
    ['bool -> i32', [false, true], 'bool', 'i32', [0, 1]],
  ])('%s', (_name, input, from, to, expected) => {
    const y = cast(tensor(input, undefined, from), to);
    expect(y.dtype).toBe(to);
    expect(Array.from(y.dataSync())).toEqual(expected);
  });

  it('to the same dtype returns the tensor itself', () => {
    const x = tensor([1, 2]);
    expect(cast(x, 'f32')).toBe(x);
  });

  it('keeps 0-d and size-0 shapes', () => {
    expect(cast(scalar(2.5), 'i32').toArray()).toBe(2);
    expect(cast(zeros([0, 2]), 'bool').shape).toEqual([0, 2]);
  });
});

describe('print', () => {
  it('logs the labelled tensor each time it runs and returns the same values', () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const x = tensor([1, 2], undefined, 'i32');
      const y = print(x, 'x');
      print(x);
      expect(log.mock.calls).toEqual([['x: Tensor i32[2]\n[1, 2]'], ['Tensor i32[2]\n[1, 2]']]);
      expect(y).not.toBe(x);
      expect(y.dtype).toBe('i32');
      expect(y.toArray()).toEqual([1, 2]);
    } finally {
      log.mockRestore();
    }
  });
});
