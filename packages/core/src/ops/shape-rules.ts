/**
 * @file The shape/dtype rule of every op: from input types and attributes to the output type.
 * Eager execution, tracing and the IR verifier all call these, so a bad program fails the same
 * way everywhere, before anything runs.
 */
import type { DType } from '../dtype.ts';
import { isDType } from '../dtype.ts';
import { KilnArgumentError, KilnDTypeError, KilnShapeError } from '../errors.ts';
import { broadcastShapes, broadcastsTo, checkTensorSize, formatShape, reducedShape, sizeOf } from '../shape.ts';
import {
  ARITHMETIC_OPS,
  COMPARE_OPS,
  LOGICAL_OPS,
  REDUCE_OPS,
  UNARY_OPS,
  type BinaryOp,
  type OpAttrs,
  type OpName,
  type ReduceOp,
  type UnaryOp,
} from './names.ts';

/** The static type of a tensor: what the IR records for every value. */
export interface TensorType {
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export type ShapeRule<K extends OpName> = (inputs: readonly TensorType[], attrs: OpAttrs[K]) => TensorType;

export function typeString(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

function typesString(inputs: readonly TensorType[]): string {
  return inputs.map(typeString).join(', ');
}

function checkArity(op: string, inputs: readonly TensorType[], n: number): void {
  if (inputs.length !== n) throw new KilnArgumentError(`${op}: expects ${n} input(s), got ${inputs.length}`);
}

function isIntList(xs: unknown, length?: number): xs is number[] {
  return Array.isArray(xs) && xs.every((x) => Number.isInteger(x)) && (length === undefined || xs.length === length);
}

type DTypeClass = 'float' | 'numeric' | 'bool' | 'any';
const DTYPE_CLASSES: Record<DTypeClass, readonly DType[]> = {
  float: ['f32'],
  numeric: ['f32', 'i32'],
  bool: ['bool'],
  any: ['f32', 'i32', 'bool'],
};

function checkDType(op: string, t: TensorType, cls: DTypeClass): void {
  if (!DTYPE_CLASSES[cls].includes(t.dtype)) {
    const want = DTYPE_CLASSES[cls].join(' or ');
    throw new KilnDTypeError(
      `${op}: expects ${want}, got ${typeString(t)}` + (cls === 'float' ? '; cast(x, "f32") first' : ''),
    );
  }
}

/** Which dtypes each unary op accepts. */
const UNARY_DTYPES: Record<UnaryOp, DTypeClass> = {
  neg: 'numeric',
  abs: 'numeric',
  sign: 'numeric',
  square: 'numeric',
  relu: 'numeric',
  floor: 'numeric',
  ceil: 'numeric',
  round: 'numeric',
  exp: 'float',
  log: 'float',
  log1p: 'float',
  expm1: 'float',
  sqrt: 'float',
  rsqrt: 'float',
  reciprocal: 'float',
  sin: 'float',
  cos: 'float',
  tanh: 'float',
  sigmoid: 'float',
  leakyRelu: 'float',
  gelu: 'float',
  erf: 'float',
  softplus: 'float',
  logicalNot: 'bool',
  stopGradient: 'any',
};

function unaryRule(op: UnaryOp): ShapeRule<UnaryOp> {
  return (inputs) => {
    checkArity(op, inputs, 1);
    checkDType(op, inputs[0]!, UNARY_DTYPES[op]);
    return inputs[0]!;
  };
}

function sameDType(op: string, a: TensorType, b: TensorType): void {
  if (a.dtype !== b.dtype) {
    throw new KilnDTypeError(
      `${op}: dtypes differ: ${typeString(a)} and ${typeString(b)}; cast one with cast(x, dtype)`,
    );
  }
}

function broadcastAll(op: string, inputs: readonly TensorType[]): number[] {
  let shape: number[] | null = [...inputs[0]!.shape];
  for (const t of inputs.slice(1)) {
    shape = broadcastShapes(shape, t.shape);
    if (shape === null) throw new KilnShapeError(`${op}: shapes ${typesString(inputs)} cannot be broadcast together`);
  }
  return shape;
}

function binaryRule(op: BinaryOp, operands: DTypeClass, result: DType | 'same'): ShapeRule<BinaryOp> {
  return (inputs) => {
    checkArity(op, inputs, 2);
    const [a, b] = inputs as [TensorType, TensorType];
    checkDType(op, a, operands);
    sameDType(op, a, b);
    return { shape: broadcastAll(op, inputs), dtype: result === 'same' ? a.dtype : result };
  };
}

function checkAxes(op: string, t: TensorType, axes: unknown): asserts axes is number[] {
  const ok = isIntList(axes) && axes.every((a, i) => a >= 0 && a < t.shape.length && (i === 0 || a > axes[i - 1]!));
  if (!ok)
    throw new KilnArgumentError(`${op}: axes ${JSON.stringify(axes)} are not sorted distinct axes of ${typeString(t)}`);
}

function reduceRule(op: ReduceOp): ShapeRule<ReduceOp> {
  const needsElements = op === 'max' || op === 'min' || op === 'argmax' || op === 'argmin';
  return (inputs, { axes, keepDims }) => {
    checkArity(op, inputs, 1);
    const x = inputs[0]!;
    checkDType(op, x, 'numeric');
    checkAxes(op, x, axes);
    if (needsElements && axes.some((a) => x.shape[a] === 0)) {
      throw new KilnShapeError(`${op}: cannot reduce ${typeString(x)} over an empty axis (it has no identity)`);
    }
    const dtype = op === 'argmax' || op === 'argmin' ? 'i32' : x.dtype;
    return { shape: reducedShape(x.shape, axes, keepDims), dtype };
  };
}

function checkPermutation(op: string, t: TensorType, perm: unknown): asserts perm is number[] {
  const ok = isIntList(perm, t.shape.length) && [...perm].sort((a, b) => a - b).every((p, i) => p === i);
  if (!ok)
    throw new KilnArgumentError(
      `${op}: perm ${JSON.stringify(perm)} is not a permutation of the axes of ${typeString(t)}`,
    );
}

function checkShapeAttr(op: string, shape: unknown): asserts shape is number[] {
  if (!isIntList(shape) || shape.some((d) => d < 0)) {
    throw new KilnArgumentError(`${op}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
}

const layoutRules = {
  reshape: (inputs, { shape }) => {
    checkArity('reshape', inputs, 1);
    const x = inputs[0]!;
    checkShapeAttr('reshape', shape);
    if (sizeOf(shape) !== sizeOf(x.shape)) {
      throw new KilnShapeError(
        `reshape: cannot reshape ${typeString(x)} (${sizeOf(x.shape)} elements) to ${formatShape(shape)} (${sizeOf(shape)} elements)`,
      );
    }
    return { shape, dtype: x.dtype };
  },
  transpose: (inputs, { perm }) => {
    checkArity('transpose', inputs, 1);
    const x = inputs[0]!;
    checkPermutation('transpose', x, perm);
    return { shape: perm.map((p) => x.shape[p]!), dtype: x.dtype };
  },
  broadcastTo: (inputs, { shape }) => {
    checkArity('broadcastTo', inputs, 1);
    const x = inputs[0]!;
    checkShapeAttr('broadcastTo', shape);
    if (!broadcastsTo(x.shape, shape))
      throw new KilnShapeError(`broadcastTo: cannot broadcast ${typeString(x)} to ${formatShape(shape)}`);
    return { shape, dtype: x.dtype };
  },
  slice: (inputs, { begin, size }) => {
    checkArity('slice', inputs, 1);
    const x = inputs[0]!;
    const rank = x.shape.length;
    const ok =
      isIntList(begin, rank) &&
      isIntList(size, rank) &&
      begin.every((b, i) => b >= 0 && size[i]! >= 0 && b + size[i]! <= x.shape[i]!);
    if (!ok)
      throw new KilnShapeError(
        `slice: begin ${JSON.stringify(begin)} size ${JSON.stringify(size)} do not fit ${typeString(x)}`,
      );
    return { shape: size, dtype: x.dtype };
  },
  concat: (inputs, { axis }) => {
    if (inputs.length === 0) throw new KilnArgumentError('concat: needs at least one tensor');
    const first = inputs[0]!;
    if (!Number.isInteger(axis) || axis < 0 || axis >= first.shape.length) {
      throw new KilnArgumentError(`concat: axis ${axis} is out of range for ${typeString(first)}`);
    }
    let total = 0;
    for (const t of inputs) {
      sameDType('concat', first, t);
      const fits = t.shape.length === first.shape.length && t.shape.every((d, i) => i === axis || d === first.shape[i]);
      if (!fits) throw new KilnShapeError(`concat: shapes ${typesString(inputs)} differ outside axis ${axis}`);
      total += t.shape[axis]!;
    }
    return { shape: first.shape.map((d, i) => (i === axis ? total : d)), dtype: first.dtype };
  },
  pad: (inputs, { paddings, value }) => {
    checkArity('pad', inputs, 1);
    const x = inputs[0]!;
    const ok =
      Array.isArray(paddings) &&
      paddings.length === x.shape.length &&
      paddings.every((p) => isIntList(p, 2) && p[0] >= 0 && p[1] >= 0) &&
      typeof value === 'number';
    if (!ok)
      throw new KilnArgumentError(
        `pad: paddings ${JSON.stringify(paddings)} must give [before, after] >= 0 for each axis of ${typeString(x)}`,
      );
    return { shape: x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]), dtype: x.dtype };
  },
  gather: (inputs, { axis }) => {
    checkArity('gather', inputs, 2);
    const [x, indices] = inputs as [TensorType, TensorType];
    if (indices.dtype !== 'i32') throw new KilnDTypeError(`gather: indices must be i32, got ${typeString(indices)}`);
    if (!Number.isInteger(axis) || axis < 0 || axis >= x.shape.length) {
      throw new KilnArgumentError(`gather: axis ${axis} is out of range for ${typeString(x)}`);
    }
    return { shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype };
  },
  scatterAdd: (inputs, { axis, dimSize }) => {
    checkArity('scatterAdd', inputs, 2);
    const [updates, indices] = inputs as [TensorType, TensorType];
    checkDType('scatterAdd', updates, 'numeric');
    if (indices.dtype !== 'i32')
      throw new KilnDTypeError(`scatterAdd: indices must be i32, got ${typeString(indices)}`);
    const middle = updates.shape.slice(axis, axis + indices.shape.length);
    const ok =
      Number.isInteger(axis) &&
      axis >= 0 &&
      Number.isInteger(dimSize) &&
      dimSize >= 0 &&
      updates.shape.length >= axis + indices.shape.length &&
      middle.every((d, i) => d === indices.shape[i]);
    if (!ok)
      throw new KilnShapeError(
        `scatterAdd: updates ${typeString(updates)} do not match indices ${typeString(indices)} at axis ${axis}`,
      );
    const shape = [...updates.shape.slice(0, axis), dimSize, ...updates.shape.slice(axis + indices.shape.length)];
    return { shape, dtype: updates.dtype };
  },
  oneHot: (inputs, { depth }) => {
    checkArity('oneHot', inputs, 1);
    const indices = inputs[0]!;
    if (indices.dtype !== 'i32') throw new KilnDTypeError(`oneHot: indices must be i32, got ${typeString(indices)}`);
    if (!Number.isInteger(depth) || depth < 0)
      throw new KilnArgumentError(`oneHot: depth ${depth} must be a non-negative integer`);
    return { shape: [...indices.shape, depth], dtype: 'f32' };
  },
} satisfies {
  [
    K in 'reshape' | 'transpose' | 'broadcastTo' | 'slice' | 'concat' | 'pad' | 'gather' | 'scatterAdd' | 'oneHot'
  ]: ShapeRule<K>;
};

const matmulRule: ShapeRule<'matmul'> = (inputs, { transposeA, transposeB }) => {
  checkArity('matmul', inputs, 2);
  const [a, b] = inputs as [TensorType, TensorType];
  checkDType('matmul', a, 'numeric');
  sameDType('matmul', a, b);
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new KilnShapeError(
      `matmul: needs rank >= 2 operands, got ${typesString(inputs)}; use expandDims for vectors`,
    );
  }
  const [m, ka] = matrixDims(a.shape, transposeA);
  const [kb, n] = matrixDims(b.shape, transposeB);
  if (ka !== kb) {
    throw new KilnShapeError(
      `matmul: inner dimensions differ: ${typesString(inputs)}` +
        `${transposeA || transposeB ? ` (transposeA=${transposeA}, transposeB=${transposeB})` : ''} gives ${ka} vs ${kb}`,
    );
  }
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batch === null)
    throw new KilnShapeError(`matmul: batch dimensions of ${typesString(inputs)} cannot be broadcast together`);
  return { shape: [...batch, m, n], dtype: a.dtype };
};

/** [rows, cols] of the last two dimensions, after an optional transpose. */
export function matrixDims(shape: readonly number[], transposed: boolean): [number, number] {
  const r = shape[shape.length - 2]!;
  const c = shape[shape.length - 1]!;
  return transposed ? [c, r] : [r, c];
}

function familyRules<const Ops extends readonly OpName[], R>(
  ops: Ops,
  make: (op: Ops[number]) => R,
): Record<Ops[number], R> {
  return Object.fromEntries(ops.map((op) => [op, make(op)])) as Record<Ops[number], R>;
}

export const shapeRules: { [K in OpName]: ShapeRule<K> } = {
  ...familyRules(UNARY_OPS, unaryRule),
  ...familyRules(ARITHMETIC_OPS, (op) => binaryRule(op, 'numeric', 'same')),
  ...familyRules(COMPARE_OPS, (op) => binaryRule(op, op === 'equal' || op === 'notEqual' ? 'any' : 'numeric', 'bool')),
  ...familyRules(LOGICAL_OPS, (op) => binaryRule(op, 'bool', 'bool')),
  ...familyRules(REDUCE_OPS, reduceRule),
  ...layoutRules,
  leakyRelu: (inputs, { alpha }) => {
    if (typeof alpha !== 'number') throw new KilnArgumentError(`leakyRelu: alpha must be a number, got ${alpha}`);
    return unaryRule('leakyRelu')(inputs, {});
  },
  gelu: (inputs) => unaryRule('gelu')(inputs, {}),
  cast: (inputs, { dtype }) => {
    checkArity('cast', inputs, 1);
    if (!isDType(dtype))
      throw new KilnArgumentError(`cast: unknown dtype ${JSON.stringify(dtype)}; use f32, i32 or bool`);
    return { shape: inputs[0]!.shape, dtype };
  },
  print: (inputs) => {
    checkArity('print', inputs, 1);
    return inputs[0]!;
  },
  where: (inputs) => {
    checkArity('where', inputs, 3);
    const [cond, a, b] = inputs as [TensorType, TensorType, TensorType];
    if (cond.dtype !== 'bool') throw new KilnDTypeError(`where: condition must be bool, got ${typeString(cond)}`);
    sameDType('where', a, b);
    return { shape: broadcastAll('where', inputs), dtype: a.dtype };
  },
  matmul: matmulRule,
  randomBits: (inputs, { shape, dtype }) => {
    checkArity('randomBits', inputs, 1);
    const key = inputs[0]!;
    if (key.dtype !== 'i32' || key.shape.length !== 1 || key.shape[0] !== 2)
      throw new KilnDTypeError(`randomBits: the key must be i32[2], got ${typeString(key)}`);
    checkShapeAttr('randomBits', shape);
    if (dtype !== 'i32' && dtype !== 'f32')
      throw new KilnArgumentError(`randomBits: dtype must be i32 (bits) or f32 (uniform in [0, 1)), got ${dtype}`);
    return { shape, dtype };
  },
};

/** The output type of `op` applied to `inputs`; throws a KilnError naming the op on a mismatch. */
export function inferType<K extends OpName>(op: K, inputs: readonly TensorType[], attrs: OpAttrs[K]): TensorType {
  const type = (shapeRules[op] as ShapeRule<K>)(inputs, attrs);
  checkTensorSize(op, type.shape);
  return type;
}
