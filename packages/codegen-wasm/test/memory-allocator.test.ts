/** The first-fit allocator: freed blocks merge with free neighbours whatever the order. */
import { describe, expect, it } from '@jest/globals';
import { WasmMemory } from '../src/runtime/memory.ts';

describe('WasmMemory.alloc / release', () => {
  it('merges blocks released in any order back into one free run', () => {
    const memory = new WasmMemory();
    const sizes = Array.from({ length: 500 }, (_, i) => 64 * (1 + ((i * 7919) % 5)));
    const empty = memory.reservedBytes; // address 0 is never handed out
    const offsets = sizes.map((s) => memory.alloc(s));
    const reserved = memory.reservedBytes - empty;
    expect(reserved).toBe(sizes.reduce((a, b) => a + b, 0));
    // A fixed shuffle: every third, then the rest backwards.
    const order = [...sizes.keys()]
      .filter((i) => i % 3 === 0)
      .concat([...sizes.keys()].filter((i) => i % 3 !== 0).reverse());
    for (const i of order) memory.release(offsets[i]!, sizes[i]!);
    expect(memory.reservedBytes).toBe(empty);
    // One merged run: a block as large as everything fits at the first offset.
    expect(memory.alloc(reserved)).toBe(offsets[0]);
  });

  it('reuses a freed hole of the right size before growing', () => {
    const memory = new WasmMemory();
    const [a, b, c] = [memory.alloc(128), memory.alloc(256), memory.alloc(128)];
    memory.release(b, 256);
    expect(memory.alloc(192)).toBe(b);
    expect(memory.alloc(64)).toBe(b + 192);
    expect([a, c].every((x) => x !== b)).toBe(true);
  });
});
