import { describe, expect, it } from '@jest/globals';
import {
  add,
  div,
  equal,
  greater,
  greaterEqual,
  KilnDTypeError,
  KilnShapeError,
  less,
  lessEqual,
  logicalAnd,
  logicalOr,
  maximum,
  minimum,
  mod,
  mul,
  notEqual,
  pow,
  scalar,
  sub,
  tensor,
  where,
  zeros,
  type ArithmeticOp,
  type BinaryOp,
  type CompareOp,
  type Tensor,
  type TensorLike,
} from '../src/index.ts';
import { caught, expectTensor, seededValues } from './helpers.ts';

type BinaryFn = (a: TensorLike, b: TensorLike) => Tensor;

/** NumPy broadcasting, written out independently of Kiln's shape code. */
function broadcastShape(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const pa = [...Array(rank - a.length).fill(1), ...a];
  const pb = [...Array(rank - b.length).fill(1), ...b];
  return pa.map((d, i) => (d === 1 ? pb[i]! : d));
}

/** out[i] = f(a[..], b[..]) by unravelling each output index and clamping broadcast dims to 0. */
function broadcastRef(
  a: number[],
  aShape: number[],
  b: number[],
  bShape: number[],
  f: (x: number, y: number) => number,
): number[] {
  const out = broadcastShape(aShape, bShape);
  const size = out.reduce((n, d) => n * d, 1);
  const read = (data: number[], shape: number[], index: number[]): number => {
    const lead = index.length - shape.length;
    let flat = 0;
    shape.forEach((d, i) => (flat = flat * d + (d === 1 ? 0 : index[lead + i]!)));
    return data[flat]!;
  };
  return Array.from({ length: size }, (_, i) => {
    const index: number[] = [];
    let rest = i;
    for (let d = out.length - 1; d >= 0; d--) {
      index.unshift(rest % out[d]!);
      rest = Math.floor(rest / out[d]!);
    }
    return f(read(a, aShape, index), read(b, bShape, index));
  });
}

interface ArithmeticRow {
  fn: BinaryFn;
  /** Double-precision reference on f32 operands. */
  ref: (a: number, b: number) => number;
  /** Second operands for the reference runs are drawn from this range (kept off 0 for div/mod). */
  bRange: [number, number];
  /** Hand-computed f32 cases: [a, b, expected]. */
  special: [number, number, number][];
  /** Hand-computed i32 cases: [a, b, expected]. */
  i32: [number[], number[], number[]];
}

const ARITHMETIC: Record<ArithmeticOp, ArithmeticRow> = {
  add: {
    fn: add,
    ref: (a, b) => a + b,
    bRange: [-2, 2],
    special: [
      [1, 2, 3],
      [Infinity, -Infinity, NaN],
      [NaN, 1, NaN],
      [0.1, 0.2, 0.30000001192092896],
    ],
    i32: [
      [7, -7, 2147483647],
      [2, 2, 1],
      [9, -5, -2147483648],
    ],
  },
  sub: {
    fn: sub,
    ref: (a, b) => a - b,
    bRange: [-2, 2],
    special: [
      [1, 2, -1],
      [Infinity, Infinity, NaN],
      [NaN, NaN, NaN],
    ],
    i32: [
      [7, -7, -2147483648],
      [2, 2, 1],
      [5, -9, 2147483647],
    ],
  },
  mul: {
    fn: mul,
    ref: (a, b) => a * b,
    bRange: [-2, 2],
    special: [
      [3, -2, -6],
      [0, Infinity, NaN],
      [1e30, 1e30, Infinity],
      [NaN, 0, NaN],
    ],
    i32: [
      [3, -4, 65536],
      [5, 6, 65536],
      [15, -24, 0],
    ],
  },
  div: {
    fn: div,
    ref: (a, b) => a / b,
    bRange: [0.5, 2],
    special: [
      [1, 4, 0.25],
      [1, 0, Infinity],
      [-1, 0, -Infinity],
      [0, 0, NaN],
    ],
    // Floor division, and 0 for division by zero.
    i32: [
      [7, -7, 7, -7, 5, 6],
      [2, 2, -2, -2, 0, 3],
      [3, -4, -4, 3, 0, 2],
    ],
  },
  pow: {
    fn: pow,
    ref: (a, b) => Math.exp(b * Math.log(a)),
    bRange: [-2, 2],
    special: [
      [2, 3, 8],
      [4, 0.5, 2],
      [2, -1, 0.5],
      [0, 0, 1],
      [-8, 1 / 3, NaN],
      [-2, 2, 4],
      [0, -1, Infinity],
    ],
    i32: [
      [2, 3, 2, -2],
      [3, 2, -1, 3],
      [8, 9, 0, -8],
    ],
  },
  maximum: {
    fn: maximum,
    ref: (a, b) => (a > b ? a : b),
    bRange: [-2, 2],
    special: [
      [1, 2, 2],
      [-1, -Infinity, -1],
      [NaN, 1, NaN],
      [1, NaN, NaN],
    ],
    i32: [
      [1, -5, 3],
      [2, -6, 3],
      [2, -5, 3],
    ],
  },
  minimum: {
    fn: minimum,
    ref: (a, b) => (a < b ? a : b),
    bRange: [-2, 2],
    special: [
      [1, 2, 1],
      [-1, -Infinity, -Infinity],
      [NaN, 1, NaN],
      [1, NaN, NaN],
    ],
    i32: [
      [1, -5, 3],
      [2, -6, 3],
      [1, -6, 3],
    ],
  },
  mod: {
    // Floor modulo: the result takes the sign of b, like numpy.
    fn: mod,
    ref: (a, b) => a - b * Math.floor(a / b),
    bRange: [0.5, 2],
    special: [
      [-7, 3, 2],
      [7, -3, -2],
      [5.5, 2, 1.5],
      [-5.5, 2, 0.5],
      [1, 0, NaN],
      [Infinity, 2, NaN],
    ],
    i32: [
      [7, -7, 7, -7, 5],
      [3, 3, -3, -3, 0],
      [1, 2, -2, -1, 0],
    ],
  },
};

/** Pairs of shapes that broadcast, including 0-d and size-0 cases. */
const SHAPES: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [2, 3],
    [2, 1],
  ],
  [
    [2, 1],
    [1, 3],
  ],
  [[3], []],
  [[], [2, 2]],
  [[], []],
  [
    [2, 1, 3],
    [4, 1],
  ],
  [
    [4, 1, 3],
    [1, 5, 1],
  ],
  [[1], [3, 2]],
  [[0, 3], [3]],
  [
    [2, 0],
    [2, 1],
  ],
  [
    [1, 0],
    [3, 1],
  ],
];

const arithmeticRows = Object.entries(ARITHMETIC) as [ArithmeticOp, ArithmeticRow][];

describe('arithmetic ops (f32)', () => {
  const cases = arithmeticRows.flatMap(([op, row]) =>
    SHAPES.map(([a, b]) => [op, JSON.stringify(a), JSON.stringify(b), row, a, b] as const),
  );

  it.each(cases)('%s %s with %s matches a broadcasting reference', (op, _a, _b, row, aShape, bShape) => {
    const aSize = aShape.reduce((n, d) => n * d, 1);
    const bSize = bShape.reduce((n, d) => n * d, 1);
    const a = seededValues(aSize, 1, op === 'pow' ? 0.5 : -2, 2);
    const b = seededValues(bSize, 2, ...row.bRange);
    const y = row.fn(tensor(a, aShape), tensor(b, bShape));
    expect(y.dtype).toBe('f32');
    expectTensor(y, broadcastShape(aShape, bShape), broadcastRef(a, aShape, b, bShape, row.ref));
    // Swapping the shapes exercises the other broadcasting paths.
    const swapped = row.fn(tensor(b, bShape), tensor(a, aShape));
    expectTensor(swapped, broadcastShape(bShape, aShape), broadcastRef(b, bShape, a, aShape, row.ref));
  });

  it.each(arithmeticRows)('%s at special values', (_op, { fn, special }) => {
    const y = fn(tensor(special.map(([a]) => a)), tensor(special.map(([, b]) => b)));
    expectTensor(
      y,
      [special.length],
      special.map(([, , e]) => e),
    );
  });
});

describe('arithmetic ops (i32)', () => {
  it.each(arithmeticRows)('%s keeps i32 and uses integer semantics', (_op, { fn, i32: [a, b, expected] }) => {
    const y = fn(tensor(a, undefined, 'i32'), tensor(b, undefined, 'i32'));
    expect(y.dtype).toBe('i32');
    expect(Array.from(y.dataSync())).toEqual(expected);
  });

  it('broadcasts i32 operands', () => {
    const y = div(
      tensor(
        [
          [7, -7],
          [9, 10],
        ],
        undefined,
        'i32',
      ),
      tensor([2, 3], undefined, 'i32'),
    );
    expect(y.toArray()).toEqual([
      [3, -3],
      [4, 3],
    ]);
  });

  it.each(arithmeticRows)('%s rejects bool operands', (_op, { fn }) => {
    expect(caught(() => fn(tensor([true]), tensor([false])))).toBeInstanceOf(KilnDTypeError);
  });
});

describe('plain numbers and arrays as operands', () => {
  it('take the dtype of the tensor they meet', () => {
    const i = add(tensor([1, 2], undefined, 'i32'), 3);
    expect(i.dtype).toBe('i32');
    expect(i.toArray()).toEqual([4, 5]);
    const f = sub(10, tensor([1.5]));
    expect(f.dtype).toBe('f32');
    expect(f.toArray()).toEqual([8.5]);
    expect(mul(tensor([1, 2], undefined, 'i32'), [3, 4]).toArray()).toEqual([3, 8]);
    const both = add(2, 3);
    expect(both.dtype).toBe('f32');
    expect(both.shape).toEqual([]);
    expect(both.item()).toBe(5);
  });

  it('a 0-d operand keeps the other shape', () => {
    expectTensor(mul(scalar(2), tensor([[1, 2]])), [1, 2], [[2, 4]]);
  });
});

interface CompareRow {
  fn: BinaryFn;
  ref: (a: number, b: number) => boolean;
}

const COMPARE: Record<CompareOp, CompareRow> = {
  equal: { fn: equal, ref: (a, b) => a === b },
  notEqual: { fn: notEqual, ref: (a, b) => a !== b },
  less: { fn: less, ref: (a, b) => a < b },
  lessEqual: { fn: lessEqual, ref: (a, b) => a <= b },
  greater: { fn: greater, ref: (a, b) => a > b },
  greaterEqual: { fn: greaterEqual, ref: (a, b) => a >= b },
};

describe('comparisons', () => {
  const A = [1, 2, 3, NaN, -Infinity, 0];
  const B = [2, 2, 1, NaN, -Infinity, -0];

  it.each(Object.entries(COMPARE))('%s gives bool and treats NaN as unordered', (_op, { fn, ref }) => {
    const y = fn(tensor(A), tensor(B));
    expect(y.dtype).toBe('bool');
    expect(y.toArray()).toEqual(A.map((a, i) => ref(a, B[i]!)));
  });

  it.each(Object.entries(COMPARE))('%s broadcasts and works on i32', (_op, { fn, ref }) => {
    const a = [
      [1, 5],
      [3, 3],
    ];
    const y = fn(tensor(a, undefined, 'i32'), tensor([3], undefined, 'i32'));
    expect(y.dtype).toBe('bool');
    expect(y.toArray()).toEqual(a.map((row) => row.map((v) => ref(v, 3))));
    expect(fn(zeros([0, 2]), zeros([2])).shape).toEqual([0, 2]);
  });

  it('equal and notEqual accept bool; ordering comparisons do not', () => {
    expect(equal(tensor([true, false]), tensor([true, true])).toArray()).toEqual([true, false]);
    expect(notEqual(tensor([true, false]), tensor([true, true])).toArray()).toEqual([false, true]);
    expect(caught(() => less(tensor([true]), tensor([false]))).detail).toBe('less: expects f32 or i32, got bool[1]');
  });
});

describe('logical ops', () => {
  const P = [true, true, false, false];
  const Q = [true, false, true, false];
  const LOGICAL: Record<Extract<BinaryOp, 'logicalAnd' | 'logicalOr'>, [BinaryFn, boolean[]]> = {
    logicalAnd: [logicalAnd, [true, false, false, false]],
    logicalOr: [logicalOr, [true, true, true, false]],
  };

  it.each(Object.entries(LOGICAL))('%s truth table, broadcasting, bool only', (op, [fn, table]) => {
    expect(fn(tensor(P), tensor(Q)).toArray()).toEqual(table);
    expect(fn(tensor([[true], [false]]), tensor([true, false])).toArray()).toEqual([
      [table[0], table[1]],
      [table[2], table[3]],
    ]);
    expect(caught(() => fn(tensor([1]), tensor([0]))).detail).toBe(`${op}: expects bool, got f32[1]`);
  });
});

describe('where', () => {
  it('picks elementwise and broadcasts all three operands', () => {
    const y = where(tensor([[true], [false]]), tensor([1, 2, 3]), 0);
    expectTensor(
      y,
      [2, 3],
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
    );
    const z = where(
      tensor([true, false, true]),
      tensor([
        [1, 1, 1],
        [2, 2, 2],
      ]),
      tensor([[7], [8]]),
    );
    expectTensor(
      z,
      [2, 3],
      [
        [1, 7, 1],
        [2, 8, 2],
      ],
    );
    expectTensor(where(scalar(false), scalar(1), scalar(2)), [], [2]);
    expect(where(zeros([0], 'bool'), zeros([0]), 1).shape).toEqual([0]);
  });

  it('works on i32 and bool values and passes NaN through', () => {
    const c = tensor([true, false]);
    expect(where(c, tensor([1, 2], undefined, 'i32'), 9).toArray()).toEqual([1, 9]);
    expect(where(c, tensor([false, false]), true).toArray()).toEqual([false, true]);
    const n = where(c, tensor([NaN, 1]), 0).dataSync();
    expect(Number.isNaN(n[0])).toBe(true);
  });

  it('needs a bool condition and operands of one dtype', () => {
    expect(caught(() => where(tensor([1]), 1, 2)).detail).toBe('where: condition must be bool, got f32[1]');
    const err = caught(() => where(tensor([true]), tensor([1]), tensor([1], undefined, 'i32')));
    expect(err).toBeInstanceOf(KilnDTypeError);
    expect(caught(() => where(tensor([true, false]), tensor([1, 2, 3]), 0))).toBeInstanceOf(KilnShapeError);
  });
});
