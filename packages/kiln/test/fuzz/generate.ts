/**
 * @file Random well-typed programs. The builder grows a program one step at a time: it picks an
 * op family, operands among the values so far (or a literal, or a new input of a shape that
 * broadcasts) and attributes, then keeps the step if it runs eagerly and respects the discrete
 * rule (see evaluate.ts). Shapes are small and rich in size-1 and broadcast dimensions; input
 * values come from a few kinds: continuous, positive, a coarse grid (ties, zeros) and specials
 * (NaN, ±Inf, -0, huge).
 */
import {
  ARITHMETIC_OPS,
  broadcastShapes,
  COMPARE_OPS,
  sizeOf,
  UNARY_OPS,
  unaryOps,
  type DType,
  type ReduceOp,
  type UnaryOp,
} from '../../src/index.ts';
import { Evaluator, MAX_ELEMENTS, type Live } from './evaluate.ts';
import {
  OP_SIGNATURES,
  UNARY_DISCRETE,
  type FuzzInput,
  type FuzzProgram,
  type FuzzStep,
  type Operand,
  type UnaryWithAttrs,
} from './program.ts';
import { prune } from './prune.ts';

/** The random choices the generator makes; backed by fast-check's generator. */
export interface Rng {
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
}

const chance = (r: Rng, p: number): boolean => r.int(0, 9999) < p * 10000;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[r.int(0, xs.length - 1)]!;
const uniform = (r: Rng, lo: number, hi: number): number => Math.fround(lo + (hi - lo) * (r.int(0, 2 ** 30) / 2 ** 30));

/** Picks by weight from [weight, item] pairs. */
function weighted<T>(r: Rng, table: readonly (readonly [number, T])[]): T {
  let x = r.int(0, table.reduce((s, [w]) => s + w, 0) - 1);
  for (const [w, item] of table) {
    if (x < w) return item;
    x -= w;
  }
  return table[0]![1];
}

// ---- shapes and data ---------------------------------------------------------------------------

function randomDim(r: Rng): number {
  return weighted(r, [
    [30, 1],
    [2, 0],
    [16, 2],
    [16, 3],
    [14, 4],
    [8, 5],
    [8, 7],
    [5, 8],
    [3, 9],
    [2, 16],
    [1, 33],
  ]);
}

function randomShape(r: Rng, minRank = 0, maxRank = 4): number[] {
  const rank = weighted(
    r,
    [
      [8, 0],
      [25, 1],
      [35, 2],
      [22, 3],
      [10, 4],
    ].filter(([, k]) => k >= minRank && k <= maxRank) as [number, number][],
  );
  for (let tries = 0; ; tries++) {
    const shape = Array.from({ length: Math.max(rank, minRank) }, () => randomDim(r));
    if (sizeOf(shape) <= 512 || tries > 20) return shape.map((d) => (sizeOf(shape) <= 512 ? d : 1));
  }
}

/** A shape that broadcasts against `shape` without growing it much: drop leading axes, set some to 1, maybe add one. */
function partnerShape(r: Rng, shape: readonly number[]): number[] {
  let s = shape.slice(r.int(0, 3) === 0 ? r.int(0, shape.length) : 0);
  s = s.map((d) => (chance(r, 0.3) ? 1 : d));
  if (s.length < 4 && chance(r, 0.15)) s = [pick(r, [1, 2, 3]), ...s];
  return s;
}

const SPECIALS = [NaN, Infinity, -Infinity, -0, 0, 1e30, -1e30, 1e-30, 3e38, -1e-40];

type DataKind = 'normal' | 'positive' | 'grid' | 'special';

function f32Data(r: Rng, size: number, kind: DataKind): number[] {
  return Array.from({ length: size }, () => {
    switch (kind) {
      case 'normal':
        return uniform(r, -2, 2);
      case 'positive':
        return uniform(r, 0.1, 3);
      case 'grid':
        return r.int(-6, 6) / 2;
      case 'special':
        return chance(r, 0.25) ? pick(r, SPECIALS) : r.int(-6, 6) / 2;
    }
  });
}

function randomData(r: Rng, dtype: DType, size: number): number[] {
  // Now and then integers of any size, so i32 arithmetic wraps.
  if (dtype === 'i32')
    return Array.from({ length: size }, chance(r, 0.1) ? () => r.int(-(2 ** 31), 2 ** 31 - 1) : () => r.int(-5, 5));
  if (dtype === 'bool') return Array.from({ length: size }, () => r.int(0, 1));
  return f32Data(
    r,
    size,
    weighted(r, [
      [45, 'normal'],
      [20, 'positive'],
      [25, 'grid'],
      [10, 'special'],
    ] as const),
  );
}

// ---- the builder -----------------------------------------------------------------------------------

const LITERALS: Record<DType, number[]> = {
  f32: [0, 1, -1, 2, 0.5, -0.5, 3, 1.5, 0.25, -2, 10],
  i32: [0, 1, -1, 2, 3, -3, 7],
  bool: [],
};
const RARE_LITERALS = [NaN, Infinity, -Infinity, -0, 1e30];

/** Grows a program; values are numbered in creation order (inputs and steps mixed) until `finish`. */
class Builder {
  private readonly items: ({ input: FuzzInput } | { step: FuzzStep })[] = [];
  private readonly ev = new Evaluator();

  constructor(readonly r: Rng) {}

  get values(): Live[] {
    return this.ev.values;
  }

  dtype(i: number): DType {
    return this.values[i]!.clean.dtype;
  }

  shape(i: number): readonly number[] {
    return this.values[i]!.clean.shape;
  }

  get stepCount(): number {
    return this.items.filter((item) => 'step' in item).length;
  }

  isInput(i: number): boolean {
    return 'input' in this.items[i]!;
  }

  addInput(dtype: DType, shape: number[], data = randomData(this.r, dtype, sizeOf(shape))): number {
    const input: FuzzInput = { dtype, shape, data, captured: chance(this.r, 0.15) };
    this.items.push({ input });
    this.ev.addInput(input);
    return this.items.length - 1;
  }

  /** Appends the step if it is valid; returns its value index or null. */
  step(op: string, args: Operand[], attrs: Record<string, unknown> = {}): number | null {
    const step: FuzzStep = { op, args, attrs };
    if (!this.ev.tryStep(step)) return null;
    this.items.push({ step });
    return this.items.length - 1;
  }

  /** The program with inputs first (no outputs yet), and the dtype of each value. */
  finish(): { program: FuzzProgram; dtypes: DType[] } {
    const inputs = this.items.flatMap((item, i) => ('input' in item ? [i] : []));
    const order = [...inputs, ...this.items.flatMap((item, i) => ('step' in item ? [i] : []))];
    const index = new Map(order.map((old, i) => [old, i]));
    const remap = (a: Operand): Operand => ('ref' in a ? { ref: index.get(a.ref)! } : a);
    const program: FuzzProgram = {
      inputs: inputs.map((i) => (this.items[i] as { input: FuzzInput }).input),
      steps: order.slice(inputs.length).map((i) => {
        const { step } = this.items[i] as { step: FuzzStep };
        return { ...step, args: step.args.map(remap) };
      }),
      outputs: [],
      grad: null,
    };
    return { program, dtypes: order.map((i) => this.dtype(i)) };
  }

  /** A value index passing `ok`, favouring recent values so chains grow deep. */
  pickValue(ok: (i: number) => boolean): number | null {
    const all = this.values.map((_, i) => i).filter(ok);
    if (all.length === 0) return null;
    const steps = all.filter((i) => !this.isInput(i));
    const recent = steps.length ? steps : all;
    return weighted(this.r, [
      [60, recent.at(-1)!],
      [25, pick(this.r, recent.slice(-3))],
      [15, pick(this.r, all)],
    ]);
  }

  isExact(i: number): boolean {
    return this.values[i]!.exact;
  }

  /** A second operand for `a`: a literal, an earlier value that broadcasts with it, a new input, or a itself. */
  partner(a: number, exact: boolean, dtype = this.dtype(a)): Operand {
    const r = this.r;
    const shape = this.shape(a);
    const choice = weighted(r, [
      [30, 'literal'],
      [40, 'value'],
      [22, 'input'],
      [8, 'self'],
    ] as const);
    if (choice === 'self' && dtype === this.dtype(a)) return { ref: a };
    if (choice === 'literal' && LITERALS[dtype].length) {
      return { lit: dtype === 'f32' && chance(r, 0.05) ? pick(r, RARE_LITERALS) : pick(r, LITERALS[dtype]) };
    }
    if (choice === 'value') {
      const b = this.pickValue(
        (i) => this.dtype(i) === dtype && (!exact || this.isExact(i)) && fits(broadcastShapes(shape, this.shape(i))),
      );
      if (b !== null) return { ref: b };
    }
    return { ref: this.addInput(dtype, partnerShape(r, shape)) };
  }
}

const fits = (shape: number[] | null): boolean => shape !== null && sizeOf(shape) <= MAX_ELEMENTS;

// ---- op families -------------------------------------------------------------------------------------

type Family = (b: Builder) => number | null;

/** Random attributes (as the op function takes them) for each unary op that has any. */
const UNARY_ATTRS: { readonly [K in UnaryWithAttrs]: (r: Rng) => Record<string, unknown> } = {
  leakyRelu: (r) => ({ alpha: pick(r, [0.2, 0.01, 0.5]) }),
  gelu: (r) => ({ options: { approximate: chance(r, 0.5) } }),
};

const unaryDTypes = (op: UnaryOp): string => unaryOps[op].dtypes;
/** f32-only unary ops: without attributes first, then those with (generated below). */
const FLOAT_UNARY: readonly UnaryOp[] = [
  ...UNARY_OPS.filter((op) => unaryDTypes(op) === 'float' && !(op in UNARY_ATTRS)),
  ...UNARY_OPS.filter((op) => unaryDTypes(op) === 'float' && op in UNARY_ATTRS),
];
/** Unary ops on f32 or i32: the continuous ones first, then those needing exact operands. */
const NUMERIC_UNARY: readonly UnaryOp[] = [
  ...UNARY_OPS.filter((op) => ['numeric', 'any'].includes(unaryDTypes(op)) && !UNARY_DISCRETE[op]),
  ...UNARY_OPS.filter((op) => ['numeric', 'any'].includes(unaryDTypes(op)) && UNARY_DISCRETE[op]),
];
const ARITHMETIC = ARITHMETIC_OPS;
const COMPARES = COMPARE_OPS;
const REDUCTIONS = ['sum', 'mean', 'max', 'min', 'prod', 'logSumExp', 'argmax', 'argmin'] as const;
// Every reduction is fuzzed: a new one that is missing here fails to compile.
const _everyReduction: Exclude<ReduceOp, (typeof REDUCTIONS)[number]> extends never ? true : never = true;

const isNumeric =
  (b: Builder) =>
  (i: number): boolean =>
    b.dtype(i) !== 'bool';
/** Every operand of `op` must be exact (evaluate.ts). */
const isDiscrete = (op: string): boolean => OP_SIGNATURES[op]!.discrete === 'all';

const floatUnary: Family = (b) => {
  const x = b.pickValue((i) => b.dtype(i) === 'f32');
  if (x === null) return null;
  const op = pick(b.r, FLOAT_UNARY);
  const attrs = op in UNARY_ATTRS ? UNARY_ATTRS[op as UnaryWithAttrs](b.r) : {};
  return b.step(op, [{ ref: x }], attrs);
};

const numericUnary: Family = (b) => {
  const op = pick(b.r, NUMERIC_UNARY);
  const x = b.pickValue((i) => isNumeric(b)(i) && (!isDiscrete(op) || b.isExact(i)));
  return x === null ? null : b.step(op, [{ ref: x }]);
};

const arithmetic: Family = (b) => {
  const op = pick(b.r, ARITHMETIC);
  const a = b.pickValue((i) => isNumeric(b)(i) && (!isDiscrete(op) || b.isExact(i)));
  if (a === null) return null;
  const other = b.partner(a, isDiscrete(op) || op === 'pow');
  return b.step(op, chance(b.r, 0.2) && op !== 'pow' ? [other, { ref: a }] : [{ ref: a }, other]);
};

const compare: Family = (b) => {
  const op = pick(b.r, COMPARES);
  const anyDType = op === 'equal' || op === 'notEqual';
  const a = b.pickValue((i) => b.isExact(i) && (anyDType || isNumeric(b)(i)));
  return a === null ? null : b.step(op, [{ ref: a }, b.partner(a, true)]);
};

const logical: Family = (b) => {
  const a = b.pickValue((i) => b.dtype(i) === 'bool') ?? b.addInput('bool', randomShape(b.r));
  if (chance(b.r, 0.3)) return b.step('logicalNot', [{ ref: a }]);
  return b.step(pick(b.r, ['logicalAnd', 'logicalOr']), [{ ref: a }, b.partner(a, true)]);
};

const select: Family = (b) => {
  const a = b.pickValue(() => true);
  if (a === null) return null;
  const cond = b.pickValue((i) => b.dtype(i) === 'bool' && fits(broadcastShapes(b.shape(a), b.shape(i))));
  const c: Operand = cond !== null && chance(b.r, 0.7) ? { ref: cond } : b.partner(a, true, 'bool');
  return b.step('where', [c, { ref: a }, b.partner(a, false)]);
};

const castOp: Family = (b) => {
  const x = b.pickValue(() => true);
  if (x === null) return null;
  const to = pick(
    b.r,
    (['f32', 'i32', 'bool'] as DType[]).filter((d) => d !== b.dtype(x)),
  );
  return b.step('cast', [{ ref: x }], { dtype: to });
};

/** A random axes argument for `shape`: undefined (all), one axis, or a list (negative ones too). */
function randomAxes(b: Builder, rank: number): number | number[] | undefined {
  if (rank === 0 || chance(b.r, 0.2)) return undefined;
  const axes = Array.from({ length: rank }, (_, i) => i).filter(() => chance(b.r, 0.5));
  if (axes.length === 0) axes.push(b.r.int(0, rank - 1));
  const signed = axes.map((a) => (chance(b.r, 0.25) ? a - rank : a));
  return signed.length === 1 && chance(b.r, 0.5) ? signed[0] : signed;
}

const reduce: Family = (b) => {
  const op = pick(b.r, REDUCTIONS);
  const x = b.pickValue(
    (i) => isNumeric(b)(i) && (!isDiscrete(op) || b.isExact(i)) && (op !== 'logSumExp' || b.dtype(i) === 'f32'),
  );
  if (x === null) return null;
  return b.step(op, [{ ref: x }], { axes: randomAxes(b, b.shape(x).length), keepDims: chance(b.r, 0.4) });
};

const matmul: Family = (b) => {
  const r = b.r;
  const a = b.pickValue((i) => isNumeric(b)(i) && b.shape(i).length >= 2) ?? b.addInput('f32', randomShape(r, 2, 4));
  const transposeA = chance(r, 0.3);
  const transposeB = chance(r, 0.3);
  const sa = b.shape(a);
  const inner = sa.at(transposeA ? -2 : -1)!;
  const n = randomDim(r);
  const batch = partnerShape(r, sa.slice(0, -2));
  const shapeB = [...batch, ...(transposeB ? [n, inner] : [inner, n])];
  const same = b.pickValue(
    (i) =>
      b.dtype(i) === b.dtype(a) && b.shape(i).length === shapeB.length && b.shape(i).every((d, j) => d === shapeB[j]),
  );
  const other = same !== null && chance(r, 0.5) ? same : b.addInput(b.dtype(a), shapeB);
  const swap = chance(r, 0.15) && transposeA === transposeB;
  const args: Operand[] = swap ? [{ ref: other }, { ref: a }] : [{ ref: a }, { ref: other }];
  return b.step('matmul', args, { options: { transposeA, transposeB } });
};

/** Small NHWC images: convolutions (with a new HWIO filter) and pools with random geometry. */
const windowOp: Family = (b) => {
  const r = b.r;
  const image = (): number[] => [r.int(1, 3), r.int(1, 8), r.int(1, 8), pick(r, [1, 2, 3, 4, 8])];
  const x =
    b.pickValue((i) => b.dtype(i) === 'f32' && b.shape(i).length === 4 && sizeOf(b.shape(i)) > 0) ??
    b.addInput('f32', image());
  const pair = (lo: number, hi: number): number | number[] =>
    chance(r, 0.5) ? r.int(lo, hi) : [r.int(lo, hi), r.int(lo, hi)];
  type Padding = 'same' | 'valid' | number[][];
  const padding = (window: number): Padding =>
    weighted<Padding>(r, [
      [4, 'same'],
      [4, 'valid'],
      [
        2,
        [
          [r.int(0, window - 1), r.int(0, window - 1)],
          [r.int(0, window - 1), r.int(0, window - 1)],
        ],
      ],
    ]);
  const op = pick(r, ['conv2d', 'maxPool', 'avgPool'] as const);
  const window = r.int(1, 3);
  if (op === 'conv2d') {
    const filter = b.addInput('f32', [window, r.int(1, 3), b.shape(x)[3]!, pick(r, [1, 2, 4, 5])]);
    const options = { strides: pair(1, 2), padding: padding(window), dilations: chance(r, 0.3) ? pair(1, 2) : 1 };
    return b.step('conv2d', [{ ref: x }, { ref: filter }], { options });
  }
  const windowShape = chance(r, 0.5) ? window : [window, r.int(1, 3)];
  const options = { windowShape, strides: chance(r, 0.3) ? undefined : pair(1, 2), padding: padding(window) };
  return b.step(op, [{ ref: x }], { options });
};

// ---- layout ----------------------------------------------------------------------------------------

function factorize(r: Rng, size: number): number[] {
  const dims: number[] = [];
  let rest = size;
  for (let d = 2; d <= rest && dims.length < 3; d++) {
    while (rest % d === 0 && chance(r, 0.6) && dims.length < 3) {
      dims.push(d);
      rest /= d;
    }
  }
  dims.push(rest);
  const shape = dims.flatMap((d) => (chance(r, 0.15) ? [d, 1] : [d]));
  if (chance(r, 0.3)) shape.splice(r.int(0, shape.length - 1), 1, -1);
  return r.int(0, 1) ? shape : shape.reverse();
}

function permutation(r: Rng, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(0, i);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

const LAYOUT: Record<string, (b: Builder, x: number) => number | null> = {
  reshape: (b, x) =>
    b.step('reshape', [{ ref: x }], {
      shape: sizeOf(b.shape(x)) === 0 ? [0, ...b.shape(x).filter((d) => d !== 0)] : factorize(b.r, sizeOf(b.shape(x))),
    }),
  transpose: (b, x) =>
    b.step('transpose', [{ ref: x }], { perm: chance(b.r, 0.2) ? undefined : permutation(b.r, b.shape(x).length) }),
  broadcastTo: (b, x) => {
    const grown = b.shape(x).map((d) => (d === 1 && chance(b.r, 0.6) ? randomDim(b.r) : d));
    const lead = chance(b.r, 0.4) ? [pick(b.r, [1, 2, 3])] : [];
    return b.step('broadcastTo', [{ ref: x }], { shape: [...lead, ...grown] });
  },
  expandDims: (b, x) => {
    const rank = b.shape(x).length;
    return b.step('expandDims', [{ ref: x }], { axis: b.r.int(-rank - 1, rank) });
  },
  squeeze: (b, x) => {
    const ones = b.shape(x).flatMap((d, i) => (d === 1 ? [i] : []));
    return b.step('squeeze', [{ ref: x }], {
      axes: ones.length === 0 || chance(b.r, 0.4) ? undefined : ones.filter(() => chance(b.r, 0.6)),
    });
  },
  slice: (b, x) => {
    const shape = b.shape(x);
    const begin = shape.map((d) => (d === 0 ? 0 : b.r.int(0, d - 1)));
    const size = shape.map((d, i) => (chance(b.r, 0.2) ? -1 : b.r.int(0, d - begin[i]!)));
    const signed = begin.map((s, i) => (chance(b.r, 0.2) && shape[i]! > 0 ? s - shape[i]! : s));
    const n = b.r.int(1, shape.length);
    return b.step('slice', [{ ref: x }], { begin: signed.slice(0, n), size: size.slice(0, n) });
  },
  concat: (b, x) => {
    const shape = b.shape(x);
    const axis = b.r.int(0, shape.length - 1);
    const others = Array.from({ length: b.r.int(1, 2) }, (): Operand => {
      if (chance(b.r, 0.3)) return { ref: x };
      return {
        ref: b.addInput(
          b.dtype(x),
          shape.map((d, i) => (i === axis ? b.r.int(0, 3) : d)),
        ),
      };
    });
    return b.step('concat', [{ ref: x }, ...others], { axis: chance(b.r, 0.3) ? axis - shape.length : axis });
  },
  stack: (b, x) => {
    const other = chance(b.r, 0.4) ? x : b.addInput(b.dtype(x), [...b.shape(x)]);
    const rank = b.shape(x).length;
    return b.step('stack', [{ ref: x }, { ref: other }], { axis: b.r.int(-rank - 1, rank) });
  },
  pad: (b, x) => {
    const paddings = b.shape(x).map(() => [b.r.int(0, 2), b.r.int(0, 2)]);
    const value =
      b.dtype(x) === 'bool'
        ? pick(b.r, [0, 1])
        : pick(b.r, b.dtype(x) === 'f32' ? [0, 1, -1, 0.5, -Infinity] : [0, 1, -1]);
    return b.step('pad', [{ ref: x }], { paddings, value });
  },
  gather: (b, x) => {
    const shape = b.shape(x);
    const axis = b.r.int(0, shape.length - 1);
    const dim = shape[axis]!;
    if (dim === 0) return null;
    const idxShape = randomShape(b.r, 0, 2);
    const indices = b.addInput(
      'i32',
      idxShape,
      Array.from({ length: sizeOf(idxShape) }, () => b.r.int(0, dim - 1)),
    );
    return b.step('gather', [{ ref: x }, { ref: indices }], { axis: chance(b.r, 0.3) ? axis - shape.length : axis });
  },
  oneHot: (b, x) => (b.dtype(x) === 'i32' ? b.step('oneHot', [{ ref: x }], { depth: b.r.int(1, 6) }) : null),
  softmax: (b, x) =>
    b.dtype(x) === 'f32'
      ? b.step(pick(b.r, ['softmax', 'logSoftmax']), [{ ref: x }], {
          axis: b.r.int(-b.shape(x).length, b.shape(x).length - 1),
        })
      : null,
  layerNorm: (b, x) =>
    b.dtype(x) === 'f32'
      ? b.step('layerNorm', [{ ref: x }], { options: { axis: b.r.int(-b.shape(x).length, b.shape(x).length - 1) } })
      : null,
};

const layout: Family = (b) => {
  const op = pick(b.r, Object.keys(LAYOUT));
  const needsRank = ['transpose', 'slice', 'concat', 'gather', 'softmax', 'layerNorm'].includes(op);
  const x = b.pickValue((i) => !needsRank || b.shape(i).length > 0);
  return x === null ? null : LAYOUT[op]!(b, x);
};

/** cond on an exact numeric predicate source over two broadcasting numeric values, or a scan over a leading axis. */
const control: Family = (b) => {
  if (chance(b.r, 0.5)) {
    const c = b.pickValue((i) => isNumeric(b)(i) && b.isExact(i) && sizeOf(b.shape(i)) > 0);
    const a = b.pickValue(isNumeric(b));
    if (c === null || a === null) return null;
    return b.step('condStep', [{ ref: c }, { ref: a }, b.partner(a, false)]);
  }
  const xs = b.pickValue((i) => b.dtype(i) === 'f32' && b.shape(i).length > 0 && b.shape(i)[0]! > 0);
  if (xs === null) return null;
  return b.step('scanStep', [{ ref: xs }, { ref: b.addInput('f32', b.shape(xs).slice(1)) }]);
};

const FAMILIES: [number, Family][] = [
  [16, floatUnary],
  [8, numericUnary],
  [18, arithmetic],
  [5, compare],
  [3, logical],
  [5, select],
  [4, castOp],
  [12, reduce],
  [8, matmul],
  [4, windowOp],
  [20, layout],
  [5, control],
];

// ---- whole programs ------------------------------------------------------------------------------------

/** The step values nothing consumes (the last few), so no computation is dead; now and then an input too. */
function chooseOutputs(b: Builder, p: FuzzProgram): number[] {
  const consumed = new Set(p.steps.flatMap((s) => s.args.flatMap((a) => ('ref' in a ? [a.ref] : []))));
  const n = p.inputs.length;
  const tips = p.steps
    .map((_, j) => n + j)
    .filter((v) => !consumed.has(v))
    .slice(-3)
    .reverse();
  if (tips.length === 0 || chance(b.r, 0.05)) tips.push(b.r.int(0, n - 1));
  return tips;
}

/** Makes `p` differentiate a loss built from its last f32 value that depends on an argument, if any. */
function makeGradProgram(r: Rng, p: FuzzProgram, types: DType[]): void {
  const depends = dependencies(p);
  const isArgF32 = (i: number): boolean => p.inputs[i]!.dtype === 'f32' && !p.inputs[i]!.captured;
  const candidates = types.map((_, i) => i).filter((i) => types[i] === 'f32' && [...depends[i]!].some(isArgF32));
  const target = candidates.at(-1);
  if (target === undefined) return;
  const inputs = p.inputs.map((_, i) => i).filter(isArgF32);
  const used = inputs.filter((i) => depends[target]!.has(i));
  const wrt = inputs.filter((i) => (used.includes(i) ? chance(r, 0.8) : chance(r, 0.2)));
  p.outputs = [target];
  p.grad = {
    wrt: wrt.length ? wrt : [pick(r, used)],
    loss: chance(r, 0.5) ? 'sum' : 'mean',
    withValue: chance(r, 0.3),
  };
}

/** For each value, the inputs it depends on. */
export function dependencies(p: FuzzProgram): Set<number>[] {
  const deps: Set<number>[] = p.inputs.map((_, i) => new Set([i]));
  for (const step of p.steps) {
    deps.push(new Set(step.args.flatMap((a) => ('ref' in a ? [...deps[a.ref]!] : []))));
  }
  return deps;
}

/** A random valid program. */
export function generateProgram(r: Rng): FuzzProgram {
  const b = new Builder(r);
  const base = randomShape(r);
  b.addInput('f32', base);
  if (chance(r, 0.5))
    b.addInput(
      weighted(r, [
        [8, 'f32'],
        [1, 'i32'],
        [1, 'bool'],
      ] as const),
      partnerShape(r, base),
    );
  const length = chance(r, 0.15) ? r.int(10, 24) : r.int(2, 10);
  for (let attempts = 0; b.stepCount < length && attempts < length * 10; attempts++) {
    weighted(r, FAMILIES)(b);
  }
  const { program, dtypes } = b.finish();
  program.outputs = chooseOutputs(b, program);
  if (chance(r, 0.3)) makeGradProgram(r, program, dtypes);
  return prune(program);
}
