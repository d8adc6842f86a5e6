/**
 * @file The Tensor: an immutable, contiguous, row-major array with a shape and a dtype. A tensor
 * is either concrete (it owns storage) or symbolic (made while tracing; it names a value of the
 * graph being recorded and has no data).
 */
import { copyOfArray, type DType, type TypedArray } from './dtype.ts';
import { formatShape, sizeOf } from './shape.ts';
import { KilnArgumentError, KilnConcretizationError, KilnEscapedTracerError } from './errors.ts';
import { formatTensor } from './format.ts';

/** What a symbolic tensor refers to; implemented by the tracer. */
export interface SymbolicHandle {
  /** A short description for messages, e.g. `%3 in trace @step`. */
  describe(): string;
  /** False once the trace that made the tensor has ended. */
  isLive(): boolean;
}

/**
 * Tensor data held by a backend (for example in WebAssembly memory). core never imports a
 * backend: the backend implements this and attaches it to the tensors it makes or keeps.
 */
export interface DeviceStorage {
  /** A new host array with the data; the tensor keeps it as its host copy. */
  toHost(): TypedArray;
  /** A new host array with the data for the user, the backend's copy staying in place. */
  copyOut(): TypedArray;
  /** Frees the backend memory; called at most once, by the tensor. */
  release(): void;
}

/** Nested arrays of numbers or booleans, as returned by `toArray()`. */
export type NestedArray = number | boolean | NestedArray[];

let nextTensorId = 0;

export class Tensor {
  /** Unique per tensor object; autodiff tapes key on it. */
  readonly id: number;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  /** The graph value a symbolic tensor stands for, or null for a concrete one. */
  readonly symbol: SymbolicHandle | null;
  /** The host copy of the data, if one was made. Never mutated once set. */
  private host: TypedArray | null;
  /** The backend's copy, if the tensor has one (the same values as `host` when both exist). */
  private deviceStorage: DeviceStorage | null = null;
  private disposed = false;

  constructor(
    shape: readonly number[],
    dtype: DType,
    storage: TypedArray | null,
    symbol: SymbolicHandle | null = null,
    device: DeviceStorage | null = null,
  ) {
    this.id = nextTensorId++;
    this.shape = shape;
    this.dtype = dtype;
    this.size = sizeOf(shape);
    this.host = storage;
    this.symbol = symbol;
    this.deviceStorage = device;
  }

  /**
   * The host data of a concrete tensor (copied out of the backend on first use and kept), or
   * null for a symbolic one. Never mutate it: tensors are immutable.
   */
  get storage(): TypedArray | null {
    // Once an eager op, item() or toArray() reads it, the host copy is the tensor's data and the
    // backend block is freed at once: a loop that reads every result must not leave its blocks to
    // the garbage collector (they would fill the resident budget, then each call would pay a
    // spill). Passed to a traced call again, the tensor is copied in once and stays resident, like
    // any host tensor. (dataSync() copies straight out instead, see there.)
    if (this.host === null && this.deviceStorage !== null) {
      this.host = this.deviceStorage.toHost();
      this.dropDevice();
    }
    if (this.host === null && this.disposed) throw this.disposedError();
    return this.host;
  }

  /** The backend's copy of the data, or null (for backends; users read with dataSync()). */
  get device(): DeviceStorage | null {
    return this.deviceStorage;
  }

  /** Whether the data is on the host (reading it copies nothing). */
  get onHost(): boolean {
    return this.host !== null;
  }

  /** Attaches a backend copy of this tensor's current data (for backends). */
  attachDevice(device: DeviceStorage): void {
    if (this.deviceStorage !== null) throw new Error('internal error: tensor already has device storage');
    this.deviceStorage = device;
  }

  /** Makes sure the data is on the host, then frees the backend copy (for backends spilling memory). */
  spillToHost(): void {
    if (this.deviceStorage === null) return;
    void this.storage;
    this.dropDevice();
  }

  /**
   * Frees the tensor's backend memory now instead of when the tensor is garbage-collected. Data
   * already copied to the host stays readable; otherwise reading the tensor afterwards is an error.
   */
  dispose(): void {
    this.disposed = true;
    this.dropDevice();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private dropDevice(): void {
    const d = this.deviceStorage;
    this.deviceStorage = null;
    d?.release();
  }

  private disposedError(): KilnArgumentError {
    return new KilnArgumentError(`Cannot read tensor ${this.typeString}: it was disposed (dispose())`);
  }

  get rank(): number {
    return this.shape.length;
  }

  /** The type as printed in the IR and in messages, e.g. `f32[2,3]`. */
  get typeString(): string {
    return `${this.dtype}${formatShape(this.shape)}`;
  }

  get isSymbolic(): boolean {
    return this.symbol !== null;
  }

  /** The storage of a concrete tensor; throws a clear error for a symbolic one. */
  concreteData(what = 'read its data'): TypedArray {
    if (this.symbol === null) return this.storage!;
    const symbol = this.symbol!;
    if (!symbol.isLive()) {
      throw new KilnEscapedTracerError(
        `Cannot ${what}: tensor ${this.typeString} (${symbol.describe()}) is a symbolic tensor from a trace that has ended. ` +
          'Return it from the traced function instead of keeping it in an outer variable.',
      );
    }
    throw new KilnConcretizationError(
      `Cannot ${what} of symbolic tensor ${this.typeString} (${symbol.describe()}) while tracing: ` +
        'data-dependent control flow cannot be traced. Use where(cond, a, b) to choose values, ' +
        'or pass the value as a static (non-tensor) argument.',
    );
  }

  /**
   * A copy of the data as a typed array (Float32Array, Int32Array, or Uint8Array for bool), which
   * the caller owns and may change.
   */
  dataSync(): TypedArray {
    // A result still in backend memory is copied straight out into the caller's array, and its
    // block stays the tensor's data: one fresh array per read, not a host copy plus a copy of it.
    // Read-then-dispose() frees the block at once; a block that is read and then dropped goes
    // when the garbage collector reports it, or sooner by the backend's budget for read blocks.
    if (this.symbol === null && this.host === null && this.deviceStorage !== null) return this.deviceStorage.copyOut();
    return copyOfArray(this.concreteData());
  }

  /** The data, asynchronously (for API parity with tfjs; Kiln's backends are synchronous). */
  data(): Promise<TypedArray> {
    return Promise.resolve(this.dataSync());
  }

  /** The data as nested arrays; bool tensors give booleans. A 0-d tensor gives a plain value. */
  toArray(): NestedArray {
    const data = this.concreteData();
    const read = (i: number): number | boolean => (this.dtype === 'bool' ? data[i] !== 0 : data[i]!);
    const build = (dim: number, offset: number, stride: number): NestedArray => {
      if (dim === this.shape.length) return read(offset);
      const n = this.shape[dim]!;
      const inner = stride / (n || 1);
      return Array.from({ length: n }, (_, i) => build(dim + 1, offset + i * inner, inner));
    };
    return build(0, 0, this.size);
  }

  /** The single value of a size-1 tensor. */
  item(): number | boolean {
    const data = this.concreteData('read item()');
    if (this.size !== 1) {
      throw new KilnArgumentError(
        `item(): tensor ${this.typeString} has ${this.size} elements; item() needs exactly 1`,
      );
    }
    return this.dtype === 'bool' ? data[0] !== 0 : data[0]!;
  }

  toString(): string {
    if (this.symbol !== null) return `Tensor ${this.typeString} (symbolic ${this.symbol.describe()})`;
    return formatTensor(this.storage!, this.shape, this.dtype);
  }

  /** `Number(t)`, `t > 0` and friends: allowed for concrete size-1 tensors, an error while tracing. */
  [Symbol.toPrimitive](hint: string): number | string | boolean {
    if (hint === 'string') return this.toString();
    this.concreteData('use it as a JS number or boolean');
    if (this.size !== 1) {
      throw new KilnArgumentError(
        `Cannot convert tensor ${this.typeString} to a JS number: only size-1 tensors convert; use item() or dataSync()`,
      );
    }
    return this.item();
  }
}

/** Makes a concrete tensor whose data lives only in a backend until it is read. */
export function makeDeviceTensor(shape: readonly number[], dtype: DType, device: DeviceStorage): Tensor {
  return new Tensor(shape, dtype, null, null, device);
}

/** Makes a concrete tensor that owns `storage` (no copy). */
export function makeTensor(shape: readonly number[], dtype: DType, storage: TypedArray): Tensor {
  return new Tensor(shape, dtype, storage);
}
