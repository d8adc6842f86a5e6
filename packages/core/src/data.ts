/**
 * @file Datasets for training loops, after `tf.data`: `fromTensors` slices a pytree of tensors
 * along their first axis (`Dataset.from_tensor_slices`), `fromArrays` does the same from JS
 * arrays, and `.shuffle(seed)`, `.batch(n, { dropRemainder })` and `.map(fn)` chain. Iterate with
 * `for ... of`; each iteration is one epoch, and a shuffled dataset is reshuffled every epoch
 * (deterministically from the seed). Rows of tensors are copied straight out of their storage, so
 * shuffling and batching cost no ops; only `map` runs user code. Batches keep one shape except a
 * final partial batch, so a traced step traces once more for it and then has both cached.
 */
import type { DType } from './dtype.ts';
import { allocate, isDType } from './dtype.ts';
import { KilnArgumentError, KilnShapeError } from './errors.ts';
import { makeTensor, Tensor } from './tensor.ts';
import { tensor, type TensorInput } from './creation.ts';
import { stack } from './ops/api.ts';
import { dottedNames, flatten, treeDefString, unflatten, type TreeDef } from './pytree.ts';
import { sizeOf } from './shape.ts';
import { threefry2x32 } from './kernels/threefry.ts';

export interface BatchOptions {
  /** Drop a final batch smaller than the others (default false, as in tf.data). */
  dropRemainder?: boolean;
}

/** Rows of the same tensors: what fromTensors makes, and what shuffle and batch keep working on directly. */
interface Rows {
  readonly leaves: readonly Tensor[];
  readonly def: TreeDef;
  /** The order of the rows in an epoch (null: 0, 1, 2, ...). */
  readonly order: (epoch: number) => Int32Array | null;
}

/** Copies rows `indices` of every leaf into new tensors with a leading axis of indices.length. */
function gatherRows(rows: Rows, indices: ArrayLike<number>, keepAxis: boolean): unknown {
  const leaves = rows.leaves.map((t) => {
    const inner = sizeOf(t.shape.slice(1));
    const src = t.concreteData();
    const out = allocate(t.dtype, indices.length * inner);
    for (let k = 0; k < indices.length; k++)
      out.set(src.subarray(indices[k]! * inner, (indices[k]! + 1) * inner), k * inner);
    const shape = keepAxis ? [indices.length, ...t.shape.slice(1)] : t.shape.slice(1);
    return makeTensor(shape, t.dtype, out);
  });
  return unflatten(rows.def, leaves);
}

/** A permutation of 0..n-1 for (seed, epoch): Fisher-Yates driven by Threefry, the same on every machine. */
function permutation(n: number, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const bits = threefry2x32(seed | 0, Math.floor(seed / 2 ** 32) | 0, epoch, i)[0] >>> 0;
    const j = Math.floor((bits * (i + 1)) / 2 ** 32);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

function checkCount(op: string, name: string, n: unknown): number {
  if (!Number.isInteger(n) || (n as number) < 1)
    throw new KilnArgumentError(`${op}: ${name} must be a positive integer, got ${String(n)}`);
  return n as number;
}

/** Stacks a list of elements (pytrees of tensors with one structure) along a new first axis. */
function stackElements(elements: unknown[]): unknown {
  const flat = elements.map((e) => flatten(e));
  const def = treeDefString(flat[0]!.def);
  flat.forEach((f, i) => {
    if (treeDefString(f.def) !== def)
      throw new KilnShapeError(`batch: element ${i} has structure ${treeDefString(f.def)}, element 0 has ${def}`);
  });
  const leaves = flat[0]!.leaves.map((_, j) => stack(flat.map((f) => f.leaves[j] as Tensor)));
  return unflatten(flat[0]!.def, leaves);
}

/** A sequence of elements (pytrees of tensors) that a `for ... of` loop walks once per epoch. */
export class Dataset<T> implements Iterable<T> {
  private epochs = 0;

  private constructor(
    private readonly epoch: (epoch: number) => Iterable<T>,
    /** Elements per epoch. */
    readonly length: number,
    private readonly rows: Rows | null,
  ) {}

  /** @internal */
  static fromRows<T>(rows: Rows, length: number): Dataset<T> {
    const iterate = function* (epoch: number): Iterable<T> {
      const order = rows.order(epoch);
      for (let i = 0; i < length; i++) yield gatherRows(rows, [order ? order[i]! : i], false) as T;
    };
    return new Dataset<T>(iterate, length, rows);
  }

  /** Iterates one epoch; the next loop over the same dataset is the next epoch. */
  [Symbol.iterator](): Iterator<T> {
    return this.epoch(this.epochs++)[Symbol.iterator]();
  }

  /**
   * Shuffles all elements, in a new order every epoch; the orders follow from `seed` alone
   * (tf.data's `shuffle(buffer = dataset size, seed, reshuffle_each_iteration=True)`).
   */
  shuffle(seed: number): Dataset<T> {
    if (!Number.isSafeInteger(seed))
      throw new KilnArgumentError(`shuffle: seed must be an integer, got ${String(seed)}`);
    const n = this.length;
    if (this.rows) {
      const inner = this.rows;
      const rows: Rows = {
        ...inner,
        order: (e) => {
          const base = inner.order(e);
          const p = permutation(n, seed, e);
          return base ? p.map((i) => base[i]!) : p;
        },
      };
      return Dataset.fromRows<T>(rows, n);
    }
    const parentEpoch = (e: number): Iterable<T> => this.epoch(e);
    return new Dataset<T>(
      function* (e) {
        const all = [...parentEpoch(e)];
        for (const i of permutation(all.length, seed, e)) yield all[i]!;
      },
      n,
      null,
    );
  }

  /** Groups consecutive elements into batches of `size` (stacked along a new first axis). */
  batch(size: number, options: BatchOptions = {}): Dataset<T> {
    const n = checkCount('batch', 'size', size);
    const count = options.dropRemainder ? Math.floor(this.length / n) : Math.ceil(this.length / n);
    const total = this.length;
    const rows = this.rows;
    const parentEpoch = (e: number): Iterable<T> => this.epoch(e);
    const epoch = rows
      ? function* (e: number): Iterable<T> {
          const order = rows.order(e) ?? Int32Array.from({ length: total }, (_, i) => i);
          for (let b = 0; b < count; b++) yield gatherRows(rows, order.subarray(b * n, (b + 1) * n), true) as T;
        }
      : function* (e: number): Iterable<T> {
          let pending: unknown[] = [];
          let made = 0;
          for (const element of parentEpoch(e)) {
            pending.push(element);
            if (pending.length === n) {
              yield stackElements(pending) as T;
              pending = [];
              made++;
            }
          }
          if (pending.length > 0 && made < count) yield stackElements(pending) as T;
        };
    return new Dataset<T>(epoch, count, null);
  }

  /** Applies `fn` to every element (eagerly, as each is produced). */
  map<U>(fn: (element: T) => U): Dataset<U> {
    if (typeof fn !== 'function') throw new KilnArgumentError('map: needs a function');
    const parentEpoch = (e: number): Iterable<T> => this.epoch(e);
    return new Dataset<U>(
      function* (e) {
        for (const element of parentEpoch(e)) yield fn(element);
      },
      this.length,
      null,
    );
  }
}

/**
 * A dataset of the rows of a pytree of tensors: element i holds row i of every leaf, so all
 * leaves must have the same first dimension (tf.data's `from_tensor_slices`).
 */
export function fromTensors<T>(tree: T): Dataset<T> {
  const { leaves, def } = flatten(tree);
  const names = dottedNames(def);
  if (leaves.length === 0) throw new KilnArgumentError('fromTensors: the tree has no tensors');
  leaves.forEach((leaf, i) => {
    if (!(leaf instanceof Tensor)) throw new KilnArgumentError(`fromTensors: leaf '${names[i]}' is not a tensor`);
    leaf.concreteData(`make a dataset of '${names[i]}'`);
    if (leaf.rank === 0) throw new KilnShapeError(`fromTensors: leaf '${names[i]}' is a scalar; it has no rows`);
  });
  const tensors = leaves as Tensor[];
  const n = tensors[0]!.shape[0]!;
  const other = tensors.findIndex((t) => t.shape[0] !== n);
  if (other >= 0) {
    throw new KilnShapeError(
      `fromTensors: leaf '${names[other]}' (${tensors[other]!.typeString}) has ${tensors[other]!.shape[0]} rows, ` +
        `'${names[0]}' (${tensors[0]!.typeString}) has ${n}`,
    );
  }
  return Dataset.fromRows<T>({ leaves: tensors, def, order: () => null }, n);
}

/** Tensors in place of the arrays of a tree of columns. */
export type FromArrays<T> = T extends TensorInput ? Tensor : { [K in keyof T]: FromArrays<T[K]> };

export interface FromArraysOptions {
  /** dtype per column, by dotted name (`{ y: 'i32' }`); plain numbers default to f32, typed arrays keep theirs. */
  dtypes?: Record<string, DType>;
}

/**
 * A dataset from JS data: an array (or typed array) of rows, or a plain object whose values are
 * such columns (objects may nest; arrays are always data). Like fromTensors after tensor().
 */
export function fromArrays<T>(columns: T, options: FromArraysOptions = {}): Dataset<FromArrays<T>> {
  const isColumn = (x: unknown): boolean => Array.isArray(x) || ArrayBuffer.isView(x);
  const { leaves, def } = flatten(columns, isColumn);
  const names = dottedNames(def);
  const dtypes = options.dtypes ?? {};
  for (const [name, dtype] of Object.entries(dtypes)) {
    if (!names.includes(name)) throw new KilnArgumentError(`fromArrays: dtypes names '${name}', which is not a column`);
    if (!isDType(dtype))
      throw new KilnArgumentError(`fromArrays: unknown dtype ${JSON.stringify(dtype)} for '${name}'`);
  }
  const tensors = leaves.map((leaf, i) => {
    if (!isColumn(leaf)) throw new KilnArgumentError(`fromArrays: column '${names[i]}' is not an array`);
    return tensor(leaf as TensorInput, undefined, dtypes[names[i]!]);
  });
  return fromTensors(unflatten<FromArrays<T>>(def, tensors));
}
