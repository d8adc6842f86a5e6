/**
 * @file Making concrete tensors: from JS values, constant fills, ranges and seeded random draws.
 * Plain numbers default to f32, booleans to bool, typed arrays keep their own dtype.
 */
import { allocate, dtypeOfArray, isDType, truncSat, type DType, type TypedArray } from './dtype.ts';
import { KilnArgumentError, KilnShapeError } from './errors.ts';
import { makeTensor, Tensor, type NestedArray } from './tensor.ts';
import { checkTensorSize, formatShape, sizeOf } from './shape.ts';
import { fillNormal, fillUniform } from './random.ts';

/** Anything `tensor()` accepts. */
export type TensorInput = Tensor | TypedArray | Float64Array | NestedArray | readonly NestedArray[];

function checkShape(op: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new KilnArgumentError(`${op}: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  }
  checkTensorSize(op, shape);
  return [...shape];
}

function checkDTypeArg(op: string, dtype: unknown): DType {
  if (!isDType(dtype))
    throw new KilnArgumentError(`${op}: unknown dtype ${JSON.stringify(dtype)}; use f32, i32 or bool`);
  return dtype;
}

/** The shape of rectangular nested arrays, and their leaves in row-major order. */
function flattenNested(values: NestedArray | readonly NestedArray[]): { shape: number[]; flat: (number | boolean)[] } {
  const shape: number[] = [];
  for (let v: unknown = values; Array.isArray(v); v = v[0]) shape.push(v.length);
  const flat: (number | boolean)[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number' && typeof v !== 'boolean') {
        throw new KilnArgumentError(
          `tensor: expected numbers or booleans, found ${Array.isArray(v) ? 'a deeper array' : typeof v} (${String(v)})`,
        );
      }
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new KilnShapeError(
        `tensor: nested arrays are ragged at depth ${depth}: expected length ${shape[depth]}, got ${Array.isArray(v) ? v.length : 'a scalar'}`,
      );
    }
    for (const x of v) walk(x, depth + 1);
  };
  walk(values, 0);
  return { shape, flat };
}

/** The stored form of one element, converted as cast() converts: bool holds only 0 or 1 (`x != 0`). */
function storedValue(x: number | boolean, dtype: DType): number {
  if (dtype === 'bool') return Number(x) !== 0 ? 1 : 0;
  return dtype === 'i32' ? truncSat(Number(x)) : Number(x);
}

function fromArray(values: ArrayLike<number | boolean>, dtype: DType): TypedArray {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = storedValue(values[i]!, dtype);
  return out;
}

/**
 * Makes a tensor from nested arrays, a typed array or a scalar. `shape` reshapes the values (same
 * element count); `dtype` converts them. NaN and Infinity pass through unchanged.
 */
export function tensor(values: TensorInput, shape?: readonly number[], dtype?: DType): Tensor {
  if (values instanceof Tensor) {
    if (shape === undefined && (dtype === undefined || dtype === values.dtype)) return values;
    // A new shape or dtype must not be ignored: read the data and go the typed-array way.
    values = values.concreteData('copy it with tensor()');
  }
  if (dtype !== undefined) checkDTypeArg('tensor', dtype);
  let inferredShape: number[];
  let data: TypedArray;
  if (ArrayBuffer.isView(values)) {
    const own = dtypeOfArray(values);
    const target = dtype ?? own ?? 'f32';
    const copyAsIs = own === target && target !== 'bool';
    data = copyAsIs ? (values as TypedArray).slice() : fromArray(values as unknown as ArrayLike<number>, target);
    inferredShape = [data.length];
  } else {
    const { shape: nestedShape, flat } = flattenNested(values as NestedArray);
    const allBool = flat.length > 0 && flat.every((v) => typeof v === 'boolean');
    if (!allBool && flat.some((v) => typeof v === 'boolean'))
      throw new KilnArgumentError('tensor: cannot mix booleans and numbers');
    data = fromArray(flat, dtype ?? (allBool ? 'bool' : 'f32'));
    inferredShape = nestedShape;
  }
  const finalDType = dtype ?? dtypeOfArray(data)!;
  if (shape === undefined) return makeTensor(inferredShape, finalDType, data);
  const target = checkShape('tensor', shape);
  if (sizeOf(target) !== data.length) {
    throw new KilnShapeError(
      `tensor: ${data.length} values do not fit shape ${formatShape(target)} (${sizeOf(target)} elements)`,
    );
  }
  return makeTensor(target, finalDType, data);
}

/** A 0-d tensor. */
export function scalar(value: number | boolean, dtype?: DType): Tensor {
  return tensor(value, [], dtype);
}

/** A tensor of `shape` filled with `value`; `op` names the caller in errors. */
function filled(op: string, shape: readonly number[], value: number | boolean, dtype: DType): Tensor {
  const s = checkShape(op, shape);
  return makeTensor(s, checkDTypeArg(op, dtype), allocate(dtype, sizeOf(s)).fill(storedValue(value, dtype)));
}

export function full(
  shape: readonly number[],
  value: number | boolean,
  dtype: DType = typeof value === 'boolean' ? 'bool' : 'f32',
): Tensor {
  return filled('full', shape, value, dtype);
}

export function zeros(shape: readonly number[], dtype: DType = 'f32'): Tensor {
  return filled('zeros', shape, 0, dtype);
}

export function ones(shape: readonly number[], dtype: DType = 'f32'): Tensor {
  return filled('ones', shape, 1, dtype);
}

export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, t.dtype);
}

export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, t.dtype);
}

/** start, start+step, ... below stop (numpy's arange); `arange(n)` counts 0..n-1. */
export function arange(start: number, stop?: number, step = 1, dtype: DType = 'f32'): Tensor {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0 || !Number.isFinite(step))
    throw new KilnArgumentError(`arange: step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((stop - start) / step));
  checkShape('arange', [n]);
  const data = allocate(checkDTypeArg('arange', dtype), n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return makeTensor([n], dtype, data);
}

/** `num` evenly spaced values from start to stop, both included. */
export function linspace(start: number, stop: number, num: number): Tensor {
  if (!Number.isInteger(num) || num < 0)
    throw new KilnArgumentError(`linspace: num must be a non-negative integer, got ${num}`);
  checkShape('linspace', [num]);
  const data = new Float32Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) data[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return makeTensor([num], 'f32', data);
}

/** The n x m identity (m defaults to n). */
export function eye(n: number, m = n, dtype: DType = 'f32'): Tensor {
  const s = checkShape('eye', [n, m]);
  const data = allocate(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return makeTensor(s, dtype, data);
}

export interface RandomOptions {
  /** Required: the same seed gives the same numbers on every machine. */
  seed: number;
}

function checkSeed(op: string, options: RandomOptions | undefined): number {
  if (!options || !Number.isFinite(options.seed))
    throw new KilnArgumentError(`${op}: needs an explicit { seed } so results are reproducible`);
  return options.seed;
}

export function randomNormal(
  shape: readonly number[],
  options: RandomOptions & { mean?: number; stddev?: number },
): Tensor {
  const s = checkShape('randomNormal', shape);
  const data = new Float32Array(sizeOf(s));
  fillNormal(data, checkSeed('randomNormal', options), options.mean ?? 0, options.stddev ?? 1);
  return makeTensor(s, 'f32', data);
}

export function randomUniform(
  shape: readonly number[],
  options: RandomOptions & { min?: number; max?: number },
): Tensor {
  const s = checkShape('randomUniform', shape);
  const data = new Float32Array(sizeOf(s));
  fillUniform(data, checkSeed('randomUniform', options), options.min ?? 0, options.max ?? 1);
  return makeTensor(s, 'f32', data);
}
