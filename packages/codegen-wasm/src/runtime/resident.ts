/**
 * @file Tensors resident in WebAssembly memory. A traced call's results are written into blocks
 * of their own (never the per-call frame), so no later call can overwrite them; an immutable
 * argument is copied in once and its block kept for later calls. A block is freed when its tensor
 * is disposed or collected (FinalizationRegistry), or spilled to a host array when the resident
 * bytes pass the budget, least recently used first, so memory stays bounded even when nobody
 * reads or disposes results.
 */
import { copyOfArray, type DeviceStorage, type DType, type Tensor, type TypedArray } from '@kiln-jit/core';
import type { WasmMemory } from './memory.ts';

/** Default budget for resident tensor bytes (results and kept arguments); variables are extra. */
export const DEFAULT_RESIDENT_BUDGET = 256 * 1024 * 1024;

/**
 * Default budget for blocks whose tensor was read with dataSync() and kept (part of the resident
 * budget). A loop that reads each result and drops it leaves those blocks to the garbage
 * collector, whose callback never runs inside a synchronous loop; past this many bytes the oldest
 * read blocks are spilled, so such a loop holds this much memory at most, not the whole budget.
 */
export const DEFAULT_READ_BUDGET = 32 * 1024 * 1024;

/**
 * One resident block, held by its tensor (as its DeviceStorage) and by the pool's LRU map. The
 * pool never references the tensor: a WeakRef would keep every result alive until the end of the
 * current job (the spec's KeepDuringJob), so a synchronous loop dropping large results would hold
 * them all. A spilled block keeps its data here, for the tensor to take when it is read.
 */
class WasmBuffer implements DeviceStorage {
  released = false;
  /** The pool's clock at this block's last use (least recently used blocks spill first). */
  lastUse = 0;
  spilled: TypedArray | null = null;
  constructor(
    readonly pool: ResidentTensors,
    readonly id: number,
    readonly offset: number,
    readonly bytes: number,
    readonly dtype: DType,
    readonly count: number,
  ) {}

  toHost(): TypedArray {
    if (this.spilled) {
      const data = this.spilled;
      this.spilled = null;
      return data;
    }
    this.pool.touch(this);
    return this.pool.memory.read(this.offset, this.dtype, this.count);
  }

  copyOut(): TypedArray {
    if (this.spilled) return copyOfArray(this.spilled);
    this.pool.touch(this);
    const data = this.pool.memory.read(this.offset, this.dtype, this.count);
    this.pool.noteRead(this);
    return data;
  }

  release(): void {
    this.spilled = null;
    this.pool.free(this);
  }
}

export interface ResidentStats {
  /** Blocks held by live resident tensors. */
  buffers: number;
  bytes: number;
  /** Blocks moved to host arrays because the budget (or the read budget) was passed. */
  spills: number;
  /** Bytes of live blocks read with dataSync() (bounded by the read budget). */
  readBytes: number;
  /** Blocks freed because their tensor was garbage-collected. */
  collected: number;
}

export class ResidentTensors {
  budget = DEFAULT_RESIDENT_BUDGET;
  readBudget = DEFAULT_READ_BUDGET;
  /** Live blocks by id. */
  private readonly live = new Map<number, WasmBuffer>();
  /** Live blocks read with dataSync(), oldest read first. */
  private readonly read = new Set<WasmBuffer>();
  private readBytes = 0;
  private clock = 0;
  private nextId = 0;
  private residentBytes = 0;
  private spills = 0;
  private collected = 0;
  private readonly finalizer: FinalizationRegistry<number>;

  constructor(readonly memory: WasmMemory) {
    this.finalizer = new FinalizationRegistry((id) => {
      const b = this.live.get(id);
      if (b) {
        this.collected++;
        this.free(b);
      }
    });
  }

  /** A fresh block for a result of `dtype`/`count` elements; `adopt` gives it to its tensor. */
  allocate(dtype: DType, count: number, bytes: number): WasmBuffer {
    const offset = this.memory.alloc(bytes, 'a traced result');
    const b = new WasmBuffer(this, this.nextId++, offset, bytes, dtype, count);
    this.live.set(b.id, b);
    b.lastUse = ++this.clock;
    this.residentBytes += b.bytes;
    return b;
  }

  /** Ties `buffer`'s lifetime to `tensor` (freed when it is collected). */
  adopt(buffer: WasmBuffer, tensor: Tensor): void {
    this.finalizer.register(tensor, buffer.id, buffer);
  }

  /**
   * The address of `tensor`'s data in memory: its own block if it has one, else a new block it
   * keeps, written from its host data once.
   */
  addressOf(tensor: Tensor, bytes: number): number {
    const device = tensor.device;
    if (device instanceof WasmBuffer && device.pool === this && !device.released) {
      this.touch(device);
      return device.offset;
    }
    // A block spilled over the budget earlier: its data comes back to the host, then in again.
    if (device) tensor.spillToHost();
    const host = tensor.storage!;
    const b = this.allocate(tensor.dtype, tensor.size, bytes);
    this.memory.write(b.offset, host);
    tensor.attachDevice(b);
    this.adopt(b, tensor);
    return b.offset;
  }

  /** Marks `b` most recently used. */
  touch(b: WasmBuffer): void {
    // A stamp, not a move to the end of `live`: a Map with many entries and steady
    // delete-and-insert churn rehashes often, which made each call cost O(live blocks).
    b.lastUse = ++this.clock;
  }

  /** Counts `b` as read by the user; spills the oldest read blocks past the read budget. */
  noteRead(b: WasmBuffer): void {
    if (b.released || this.read.has(b)) return;
    this.read.add(b);
    this.readBytes += b.bytes;
    for (const oldest of this.read) {
      if (this.readBytes <= this.readBudget || oldest === b) return;
      this.spill(oldest);
    }
  }

  free(b: WasmBuffer): void {
    if (b.released) return;
    b.released = true;
    if (this.read.delete(b)) this.readBytes -= b.bytes;
    this.live.delete(b.id);
    this.finalizer.unregister(b);
    this.residentBytes -= b.bytes;
    this.memory.release(b.offset, b.bytes);
  }

  /**
   * Spills least recently used blocks to host arrays until the resident bytes fit the budget.
   * Whether a block's tensor is still alive cannot be known before the garbage collector's
   * callback runs (after the current task), so every spilled block is copied out; the copy dies
   * with its tensor.
   */
  enforceBudget(): void {
    if (this.residentBytes <= this.budget) return;
    const oldestFirst = [...this.live.values()].sort((x, y) => x.lastUse - y.lastUse);
    for (const b of oldestFirst) {
      if (this.residentBytes <= this.budget) return;
      this.spill(b);
    }
  }

  private spill(b: WasmBuffer): void {
    this.spills++;
    b.spilled = this.memory.read(b.offset, b.dtype, b.count);
    this.free(b);
  }

  get stats(): ResidentStats {
    const { live, residentBytes: bytes, spills, collected, readBytes } = this;
    return { buffers: live.size, bytes, spills, collected, readBytes };
  }
}
