/**
 * @file The op functions users call. Each converts its arguments (numbers are weakly typed: they
 * take the dtype of the tensor they meet), normalizes attributes to the canonical form the IR
 * stores (non-negative, sorted axes; resolved -1 in shapes), and binds the primitive. Activations
 * live in activations.ts (re-exported here and by nn).
 */
import type { DType } from '../dtype.ts';
import { KilnArgumentError, KilnShapeError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { bind } from '../context.ts';
import { formatShape, normalizeAxis, shapesEqual } from '../shape.ts';
import type { BinaryOp, OpAttrs, ReduceOp } from './names.ts';
import { asTensor, operands, unary, type TensorLike } from './convert.ts';

export { asTensor, type TensorLike } from './convert.ts';
export * from './activations.ts';
export * from './window-api.ts';

function binary(op: BinaryOp, a: TensorLike, b: TensorLike): Tensor {
  return bind(op, operands(op, a, b), {});
}

// ---- unary -----------------------------------------------------------------------------------

/** -x */
export const neg = (x: TensorLike): Tensor => unary('neg', x);
/** |x| */
export const abs = (x: TensorLike): Tensor => unary('abs', x);
/** -1, 0 or 1 (NaN stays NaN). */
export const sign = (x: TensorLike): Tensor => unary('sign', x);
export const exp = (x: TensorLike): Tensor => unary('exp', x);
export const log = (x: TensorLike): Tensor => unary('log', x);
/** log(1 + x), accurate near 0. */
export const log1p = (x: TensorLike): Tensor => unary('log1p', x);
/** exp(x) - 1, accurate near 0. */
export const expm1 = (x: TensorLike): Tensor => unary('expm1', x);
export const sqrt = (x: TensorLike): Tensor => unary('sqrt', x);
/** 1 / sqrt(x) */
export const rsqrt = (x: TensorLike): Tensor => unary('rsqrt', x);
/** x * x */
export const square = (x: TensorLike): Tensor => unary('square', x);
/** 1 / x */
export const reciprocal = (x: TensorLike): Tensor => unary('reciprocal', x);
export const sin = (x: TensorLike): Tensor => unary('sin', x);
export const cos = (x: TensorLike): Tensor => unary('cos', x);
/** The error function. */
export const erf = (x: TensorLike): Tensor => unary('erf', x);
export const floor = (x: TensorLike): Tensor => unary('floor', x);
export const ceil = (x: TensorLike): Tensor => unary('ceil', x);
/** Rounds half to even, like numpy. */
export const round = (x: TensorLike): Tensor => unary('round', x);
export const logicalNot = (x: TensorLike): Tensor => unary('logicalNot', x);
/** The same values, but gradients do not flow through it. */
export const stopGradient = (x: TensorLike): Tensor => unary('stopGradient', x);

/** Converts to `dtype`: f32 -> i32 truncates toward zero (saturating; NaN -> 0); to bool is `x != 0`. */
export function cast(x: TensorLike, dtype: DType): Tensor {
  const t = asTensor(x, 'cast');
  return t.dtype === dtype ? t : bind('cast', [t], { dtype });
}

/** Prints `x` (with `label`) every time it runs, also on every call of a traced function. Returns x. */
export function print(x: TensorLike, label = ''): Tensor {
  return bind('print', [asTensor(x, 'print')], { label });
}

// ---- binary (NumPy broadcasting) ---------------------------------------------------------------

export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', a, b);
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', a, b);
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', a, b);
/** a / b; floor division for i32 (division by zero gives 0). */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', a, b);
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', a, b);
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', a, b);
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', a, b);
/** Floor modulo: the result has the sign of b (numpy's mod). */
export const mod = (a: TensorLike, b: TensorLike): Tensor => binary('mod', a, b);
export const equal = (a: TensorLike, b: TensorLike): Tensor => binary('equal', a, b);
export const notEqual = (a: TensorLike, b: TensorLike): Tensor => binary('notEqual', a, b);
export const less = (a: TensorLike, b: TensorLike): Tensor => binary('less', a, b);
export const lessEqual = (a: TensorLike, b: TensorLike): Tensor => binary('lessEqual', a, b);
export const greater = (a: TensorLike, b: TensorLike): Tensor => binary('greater', a, b);
export const greaterEqual = (a: TensorLike, b: TensorLike): Tensor => binary('greaterEqual', a, b);
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => binary('logicalAnd', a, b);
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => binary('logicalOr', a, b);

/** Elementwise choice: a where cond is true, else b (all three broadcast). */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const c = asTensor(cond, 'where', 'condition', 'bool');
  const [x, y] = operands('where', a, b);
  return bind('where', [c, x, y], {});
}

// ---- reductions ----------------------------------------------------------------------------------

/** Normalizes `axes` (a number, a list, or undefined for all) to sorted distinct non-negative axes. */
export function normalizeAxes(op: string, x: Tensor, axes?: number | readonly number[]): number[] {
  if (axes === undefined) return x.shape.map((_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => {
    const n = normalizeAxis(a, x.rank);
    if (n === null)
      throw new KilnArgumentError(`${op}: axis ${a} is out of range for ${x.typeString} (rank ${x.rank})`);
    return n;
  });
  if (new Set(out).size !== out.length)
    throw new KilnArgumentError(`${op}: repeated axis in ${JSON.stringify(list)} for ${x.typeString}`);
  return out.sort((a, b) => a - b);
}

function reduce(op: ReduceOp, x: TensorLike, axes: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  const t = asTensor(x, op);
  const normalized = normalizeAxes(op, t, axes);
  if (normalized.length === 0 && op !== 'argmax' && op !== 'argmin') return t;
  return bind(op, [t], { axes: normalized, keepDims });
}

type Axes = number | readonly number[];

export const sum = (x: TensorLike, axes?: Axes, keepDims = false): Tensor => reduce('sum', x, axes, keepDims);
export const prod = (x: TensorLike, axes?: Axes, keepDims = false): Tensor => reduce('prod', x, axes, keepDims);
export const max = (x: TensorLike, axes?: Axes, keepDims = false): Tensor => reduce('max', x, axes, keepDims);
export const min = (x: TensorLike, axes?: Axes, keepDims = false): Tensor => reduce('min', x, axes, keepDims);
/** Index of the largest value along `axes` (row-major within them when several); first one wins ties. */
export const argmax = (x: TensorLike, axes?: Axes, keepDims = false): Tensor => reduce('argmax', x, axes, keepDims);
export const argmin = (x: TensorLike, axes?: Axes, keepDims = false): Tensor => reduce('argmin', x, axes, keepDims);

/** Arithmetic mean over `axes` (all by default); i32 input is averaged as f32. */
export function mean(x: TensorLike, axes?: Axes, keepDims = false): Tensor {
  const t = cast(asTensor(x, 'mean'), 'f32');
  const normalized = normalizeAxes('mean', t, axes);
  const count = normalized.reduce((n, a) => n * t.shape[a]!, 1);
  return div(sum(t, normalized, keepDims), count);
}

/** log(sum(exp(x))) over `axes`, computed stably by shifting by the maximum. */
export function logSumExp(x: TensorLike, axes?: Axes, keepDims = false): Tensor {
  const t = asTensor(x, 'logSumExp');
  const normalized = normalizeAxes('logSumExp', t, axes);
  const shift = logSumExpShift(t, normalized);
  const out = add(log(sum(exp(sub(t, shift)), normalized, true)), shift);
  return keepDims
    ? out
    : reshape(
        out,
        out.shape.filter((_, i) => !normalized.includes(i)),
      );
}

/** The per-group maximum that logSumExp subtracts before exp, so that exp cannot overflow. */
function logSumExpShift(t: Tensor, axes: number[]): TensorLike {
  // An empty group has no maximum (and needs no shift): its sum of exps is 0, giving -inf.
  if (axes.some((a) => t.shape[a] === 0)) return 0;
  const peak = stopGradient(max(t, axes, true));
  // An infinite or NaN peak (all -inf, say) must not poison the shift: use 0 there.
  return where(less(abs(peak), Infinity), peak, 0);
}

// ---- layout ------------------------------------------------------------------------------------------

/** Reshapes to `shape`; one entry may be -1 and is inferred. */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, 'reshape');
  const unknown = shape.filter((d) => d === -1).length;
  const known = shape.reduce((n, d) => (d === -1 ? n : n * d), 1);
  const bad =
    unknown > 1 ||
    shape.some((d) => !Number.isInteger(d) || d < -1) ||
    (unknown === 1 && (known === 0 || t.size % known !== 0));
  if (bad)
    throw new KilnShapeError(`reshape: cannot reshape ${t.typeString} (${t.size} elements) to ${formatShape(shape)}`);
  const resolved = shape.map((d) => (d === -1 ? t.size / known : d));
  if (shapesEqual(resolved, t.shape)) return t;
  return bind('reshape', [t], { shape: resolved });
}

/** Permutes axes (reverses them by default). */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const t = asTensor(x, 'transpose');
  const p = perm === undefined ? t.shape.map((_, i) => t.rank - 1 - i) : perm.map((a) => normalizeAxis(a, t.rank) ?? a);
  if (p.every((a, i) => a === i) && p.length === t.rank) return t;
  return bind('transpose', [t], { perm: p });
}

export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const t = asTensor(x, 'broadcastTo');
  if (shapesEqual(t.shape, shape)) return t;
  return bind('broadcastTo', [t], { shape: [...shape] });
}

/** Inserts a size-1 axis at `axis` (which may be rank, or negative). */
export function expandDims(x: TensorLike, axis = 0): Tensor {
  const t = asTensor(x, 'expandDims');
  const a = normalizeAxis(axis, t.rank + 1);
  if (a === null) throw new KilnArgumentError(`expandDims: axis ${axis} is out of range for ${t.typeString}`);
  return reshape(t, [...t.shape.slice(0, a), 1, ...t.shape.slice(a)]);
}

/** Removes size-1 axes (all of them, or the given ones, which must have size 1). */
export function squeeze(x: TensorLike, axes?: Axes): Tensor {
  const t = asTensor(x, 'squeeze');
  const drop = axes === undefined ? t.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', t, axes);
  for (const a of drop) {
    if (t.shape[a] !== 1)
      throw new KilnShapeError(`squeeze: axis ${a} of ${t.typeString} has size ${t.shape[a]}, not 1`);
  }
  return reshape(
    t,
    t.shape.filter((_, i) => !drop.includes(i)),
  );
}

/** The block starting at `begin` (negative counts from the end) of `size` (-1: to the end). */
export function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const t = asTensor(x, 'slice');
  const b = typeof begin === 'number' ? [begin] : [...begin];
  const s = size === undefined ? b.map(() => -1) : typeof size === 'number' ? [size] : [...size];
  if (b.length > t.rank || s.length !== b.length) {
    throw new KilnArgumentError(
      `slice: begin ${JSON.stringify(b)} and size ${JSON.stringify(s)} do not fit ${t.typeString}`,
    );
  }
  const fullBegin = t.shape.map((d, i) => (i < b.length ? (b[i]! < 0 ? b[i]! + d : b[i]!) : 0));
  const fullSize = t.shape.map((d, i) => (i >= s.length || s[i] === -1 ? d - fullBegin[i]! : s[i]!));
  if (shapesEqual(fullSize, t.shape)) return t;
  return bind('slice', [t], { begin: fullBegin, size: fullSize });
}

/** Joins tensors along an existing axis. */
export function concat(tensors: readonly TensorLike[], axis = 0): Tensor {
  if (tensors.length === 0) throw new KilnArgumentError('concat: needs at least one tensor');
  const ts = tensors.map((t, i) => asTensor(t, 'concat', `tensor ${i}`));
  const a = normalizeAxis(axis, ts[0]!.rank);
  if (a === null) throw new KilnArgumentError(`concat: axis ${axis} is out of range for ${ts[0]!.typeString}`);
  if (ts.length === 1) return ts[0]!;
  return bind('concat', ts, { axis: a });
}

/** Joins tensors along a new axis. */
export function stack(tensors: readonly TensorLike[], axis = 0): Tensor {
  if (tensors.length === 0) throw new KilnArgumentError('stack: needs at least one tensor');
  const ts = tensors.map((t, i) => asTensor(t, 'stack', `tensor ${i}`));
  const a = normalizeAxis(axis, ts[0]!.rank + 1);
  if (a === null) throw new KilnArgumentError(`stack: axis ${axis} is out of range for ${ts[0]!.typeString}`);
  return concat(
    ts.map((t) => expandDims(t, a)),
    a,
  );
}

/** Pads each axis with [before, after] copies of `value`. */
export function pad(x: TensorLike, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  const t = asTensor(x, 'pad');
  if (paddings.every(([b, a]) => b === 0 && a === 0) && paddings.length === t.rank) return t;
  return bind('pad', [t], { paddings: paddings.map(([b, a]) => [b, a] as [number, number]), value });
}

/** Picks entries of `x` along `axis` at `indices` (i32): out = x.shape[:axis] ++ indices.shape ++ x.shape[axis+1:]. */
export function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  const t = asTensor(x, 'gather');
  const idx = asTensor(indices, 'gather', 'indices', 'i32');
  const a = normalizeAxis(axis, t.rank);
  if (a === null) throw new KilnArgumentError(`gather: axis ${axis} is out of range for ${t.typeString}`);
  return bind('gather', [t, idx], { axis: a });
}

/** f32 one-hot vectors of length `depth` for i32 `indices` (out of range: all zeros). */
export function oneHot(indices: TensorLike, depth: number): Tensor {
  return bind('oneHot', [asTensor(indices, 'oneHot', 'indices', 'i32')], { depth });
}

/** Matrix product over the last two axes; leading (batch) axes broadcast. */
export function matmul(a: TensorLike, b: TensorLike, options: Partial<OpAttrs['matmul']> = {}): Tensor {
  const [x, y] = operands('matmul', a, b);
  return bind('matmul', [x, y], { transposeA: options.transposeA ?? false, transposeB: options.transposeB ?? false });
}

/** Sums `g` down to `shape`, undoing NumPy broadcasting (the adjoint of broadcastTo). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes = g.shape.flatMap((d, i) => (i < lead || (shape[i - lead] === 1 && d !== 1) ? [i] : []));
  return reshape(sum(g, axes, true), shape);
}
