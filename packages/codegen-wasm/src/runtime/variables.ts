/**
 * @file Variables resident in WebAssembly memory. Each variable gets a block the first time a
 * compiled function uses it; its data is written there only when the variable changed since
 * (its version moved), so a training step does not copy weights in and out on every call.
 * After a call that updates it, the variable's value lives only in memory and is copied out the
 * first time JavaScript reads it.
 */
import { makeTensor, sizeOf, type Variable } from '@kiln-jit/core';
import { elementBytes } from '../lower/lanes.ts';
import type { WasmMemory } from './memory.ts';

interface Slot {
  offset: number;
  bytes: number;
  /** The variable version the block holds (-1: none yet). */
  version: number;
}

export class ResidentVariables {
  private readonly slots = new WeakMap<Variable, Slot>();
  private readonly reclaim: FinalizationRegistry<{ offset: number; bytes: number }>;

  constructor(private readonly memory: WasmMemory) {
    this.reclaim = new FinalizationRegistry(({ offset, bytes }) => memory.release(offset, bytes));
  }

  private slotOf(v: Variable): Slot {
    let slot = this.slots.get(v);
    if (!slot) {
      const bytes = sizeOf(v.shape) * elementBytes(v.dtype);
      slot = { offset: this.memory.alloc(bytes, `variable '${v.name}'`), bytes, version: -1 };
      this.slots.set(v, slot);
      this.reclaim.register(v, { offset: slot.offset, bytes });
    }
    return slot;
  }

  /** The variable's address, with its current value written there if the block is stale. */
  resident(v: Variable): number {
    const slot = this.slotOf(v);
    if (slot.version !== v.version) {
      this.memory.write(slot.offset, v.read().storage!);
      slot.version = v.version;
    }
    return slot.offset;
  }

  /** Records that a call wrote the variable's new value into its block. */
  updated(v: Variable): void {
    const slot = this.slotOf(v);
    const memory = this.memory;
    v.writeExternal(() => makeTensor(v.shape, v.dtype, memory.read(slot.offset, v.dtype, sizeOf(v.shape))));
    slot.version = v.version;
  }
}
