/**
 * @file The one WebAssembly.Memory every compiled module imports, and a small first-fit
 * allocator over it. Variables get long-lived blocks, executables their constants, and all calls
 * share one "frame" block (arguments, intermediates, scratch) that grows when a trace needs more.
 */
import { copyOfArray, KilnError, type DType, type TypedArray } from '@kiln-jit/core';
import { codegenOptions } from '../codegen-options.ts';

const PAGE = 65536;
/** WebAssembly's 32-bit memories stop at 4 GiB. */
export const MAX_MEMORY_BYTES = 65536 * PAGE;
const ALIGN = 64;

/** A memory request beyond what WebAssembly can address. */
export class KilnMemoryLimitError extends KilnError {}

const alignUp = (n: number, to = ALIGN): number => Math.ceil(n / to) * to;

/** Bytes copied between JavaScript arrays and WebAssembly memory (a debug counter for tests). */
export interface CopyCounter {
  bytesIn: number;
  bytesOut: number;
}

export class WasmMemory {
  /** Every host <-> Wasm copy goes through write() and read(), which count it here. */
  readonly copied: CopyCounter = { bytesIn: 0, bytesOut: 0 };
  /** Shared where threads can be (modules declare their import to match: codegen-options.ts). */
  readonly memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: codegenOptions().threads });
  /** Bytes below `top` are handed out or on the free list; address 0 is never used. */
  private top = ALIGN;
  private readonly free: { offset: number; bytes: number }[] = [];
  private frameBlock = { offset: 0, bytes: 0 };

  /** Reserves `bytes` (aligned) and returns the offset. */
  alloc(bytes: number, what = 'a buffer'): number {
    const size = alignUp(Math.max(bytes, 1));
    const hole = this.free.findIndex((f) => f.bytes >= size);
    if (hole >= 0) {
      const f = this.free[hole]!;
      const offset = f.offset;
      if (f.bytes === size) this.free.splice(hole, 1);
      else this.free[hole] = { offset: f.offset + size, bytes: f.bytes - size };
      return offset;
    }
    const offset = this.top;
    if (offset + size > MAX_MEMORY_BYTES) {
      throw new KilnMemoryLimitError(
        `wasm backend: ${what} needs ${formatBytes(size)} more, but WebAssembly memory stops at 4 GiB (${formatBytes(offset)} in use)`,
        null,
      );
    }
    this.top = offset + size;
    const needPages = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (needPages > 0) this.memory.grow(needPages);
    return offset;
  }

  /** Returns a block to the free list (kept sorted by offset), merged with free neighbours. */
  release(offset: number, bytes: number): void {
    const size = alignUp(Math.max(bytes, 1));
    const free = this.free;
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (free[mid]!.offset < offset) lo = mid + 1;
      else hi = mid;
    }
    const before = free[lo - 1];
    const after = free[lo];
    if (before && before.offset + before.bytes === offset) {
      before.bytes += size;
      if (after && before.offset + before.bytes === after.offset) {
        before.bytes += after.bytes;
        free.splice(lo, 1);
      }
    } else if (after && offset + size === after.offset) {
      free[lo] = { offset, bytes: size + after.bytes };
    } else {
      free.splice(lo, 0, { offset, bytes: size });
    }
  }

  /** The shared per-call block, at least `bytes` long (its contents do not survive calls). */
  frame(bytes: number): number {
    if (this.frameBlock.bytes < bytes) {
      if (this.frameBlock.bytes) this.release(this.frameBlock.offset, this.frameBlock.bytes);
      const size = alignUp(bytes * 1.25);
      this.frameBlock = { offset: this.alloc(size, 'a traced call'), bytes: size };
    }
    return this.frameBlock.offset;
  }

  /** Bytes currently reserved from the memory (for tests and the soak script). */
  get reservedBytes(): number {
    return this.top - this.free.reduce((s, f) => s + f.bytes, 0);
  }

  write(offset: number, data: TypedArray): void {
    this.copied.bytesIn += data.byteLength;
    new Uint8Array(this.memory.buffer, offset, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
  }

  /** A fresh copy of `count` elements of `dtype` at `offset`. */
  read(offset: number, dtype: DType, count: number): TypedArray {
    this.copied.bytesOut += count * (dtype === 'bool' ? 1 : 4);
    return copyOfArray(viewOf(this.memory.buffer, offset, dtype, count));
  }
}

function viewOf(buffer: ArrayBuffer, offset: number, dtype: DType, count: number): TypedArray {
  if (dtype === 'f32') return new Float32Array(buffer, offset, count);
  if (dtype === 'i32') return new Int32Array(buffer, offset, count);
  return new Uint8Array(buffer, offset, count);
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

let shared: WasmMemory | null = null;

/** The process-wide memory (created on first use). */
export function sharedMemory(): WasmMemory {
  return (shared ??= new WasmMemory());
}
