/**
 * Resident tensors: results stay in WebAssembly memory until read, arguments are copied in once,
 * and no result ever aliases memory that a later call (or a variable update) overwrites.
 */
import { beforeAll, afterEach, describe, expect, it } from '@jest/globals';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as k from '@kiln-jit/core';
import { trace } from '@kiln-jit/tracer';
import {
  DEFAULT_READ_BUDGET,
  DEFAULT_RESIDENT_BUDGET,
  loadBinaryen,
  residentTensors,
  sharedMemory,
} from '../src/index.ts';

beforeAll(async () => {
  await loadBinaryen();
});
afterEach(() => {
  residentTensors().budget = DEFAULT_RESIDENT_BUDGET;
  residentTensors().readBudget = DEFAULT_READ_BUDGET;
});

const pool = () => residentTensors();
const copied = () => ({ ...sharedMemory().copied });
const delta = (before: { bytesIn: number; bytesOut: number }) => {
  const now = sharedMemory().copied;
  return { bytesIn: now.bytesIn - before.bytesIn, bytesOut: now.bytesOut - before.bytesOut };
};
const values = (t: k.Tensor) => Array.from(t.dataSync());
const ramp = (n: number, scale = 1, shift = 0) =>
  k.tensor(Array.from({ length: n }, (_, i) => Math.sin(i * scale) + shift));

// Three different functions, each with elementwise kernels that the planner may run in place.
const gelu = (x: k.Tensor) =>
  k.mul(k.mul(x, 0.5), k.add(1, k.tanh(k.mul(k.add(x, k.mul(k.mul(k.mul(x, x), x), 0.044715)), 0.7978845608))));
const scaleShift = (x: k.Tensor) => k.sub(k.mul(x, 3), 1);
const square = (x: k.Tensor) => k.mul(x, x);

describe('resident results', () => {
  it('chains three traced calls with no copy in or out, and equals eager', () => {
    const f = trace(gelu, { backend: 'wasm' });
    const g = trace(scaleShift, { backend: 'wasm' });
    const h = trace(square, { backend: 'wasm' });
    const x = ramp(1000, 0.01);
    h(g(f(x))); // compile all three first
    const x2 = ramp(1000, 0.02);
    const before = copied();
    const y = h(g(f(x2)));
    expect(delta(before)).toEqual({ bytesIn: 4000, bytesOut: 0 }); // x2 copied in once, nothing out
    expect(y.onHost).toBe(false);
    const expected = values(square(scaleShift(gelu(x2))));
    const got = values(y);
    expect(delta(before)).toEqual({ bytesIn: 4000, bytesOut: 4000 }); // the one read
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
    // The argument stays resident: passing it again copies nothing in.
    const again = copied();
    f(x2);
    expect(delta(again).bytesIn).toBe(0);
  });

  it('a result stays correct after later calls of the same function and of other functions', () => {
    const f = trace(gelu, { backend: 'wasm' });
    const g = trace(scaleShift, { backend: 'wasm' });
    const a = ramp(777, 0.1);
    const r1 = f(a);
    const r2 = g(r1); // reads r1 in place; its kernels may run in place of an intermediate, never of r1
    for (let i = 0; i < 5; i++) {
      f(ramp(777, 0.3 + i, 2));
      g(ramp(777, 0.5 + i, -1));
    }
    const h = trace((x: k.Tensor) => k.exp(x), { backend: 'wasm' });
    h(r2); // an elementwise kernel whose input is a resident result
    expect(values(r1)).toEqual(values(f(a)));
    const eager = values(gelu(a));
    values(r1).forEach((v, i) => expect(v).toBeCloseTo(eager[i]!, 5));
    const eager2 = values(scaleShift(gelu(a)));
    values(r2).forEach((v, i) => expect(v).toBeCloseTo(eager2[i]!, 4));
  });

  it('an identity function and a repeated result give tensors that do not share a block', () => {
    const f = trace((x: k.Tensor) => [x, k.neg(x), k.neg(x)] as const, { backend: 'wasm' });
    const x = ramp(33);
    const [same, n1, n2] = f(x);
    n1.dispose();
    expect(values(same)).toEqual(values(x));
    expect(values(n2)).toEqual(values(x).map((v) => -v));
  });

  it("dataSync() copies a result straight into the caller's array; the block stays and is used in place", () => {
    const f = trace(gelu, { backend: 'wasm' });
    const x = ramp(4096, 0.01);
    f(x).dispose(); // compile, and make x resident
    const r = f(x);
    const before = copied();
    const first = r.dataSync();
    expect(delta(before).bytesOut).toBe(4096 * 4); // one copy out, no host copy on top
    expect(r.onHost).toBe(false);
    first[0] = 1234; // the caller's own array
    const second = r.dataSync();
    expect(second[0]).not.toBe(1234);
    expect(Array.from(second.subarray(1))).toEqual(Array.from(first.subarray(1)));
    const chained = delta(before).bytesIn;
    const next = f(r); // still resident: passed in place
    expect(delta(before).bytesIn).toBe(chained);
    const eager = values(gelu(gelu(x)));
    values(next).forEach((v, i) => expect(v).toBeCloseTo(eager[i]!, 4));
  });

  it('a loop that reads each result and disposes it keeps no block and makes one array per read', () => {
    const f = trace(gelu, { backend: 'wasm' });
    const x = ramp(4096, 0.01);
    f(x).dispose();
    const before = pool().stats;
    const out = copied();
    for (let i = 0; i < 200; i++) {
      const r = f(x);
      expect(r.dataSync().length).toBe(4096);
      r.dispose();
    }
    expect(delta(out).bytesOut).toBe(200 * 4096 * 4);
    const after = pool().stats;
    expect(after.buffers).toBe(before.buffers);
    expect(after.spills).toBe(before.spills);
  });

  it('a loop that reads each result and drops it holds at most the read budget of read blocks', () => {
    const f = trace(gelu, { backend: 'wasm' });
    const x = ramp(4096, 0.01);
    f(x).dispose();
    pool().readBudget = 10 * 4096 * 4;
    const before = pool().stats;
    const kept: k.Tensor[] = [];
    for (let i = 0; i < 200; i++) {
      const r = f(x);
      r.dataSync();
      if (i % 50 === 0) kept.push(r); // some stay referenced: spilled, not lost
      expect(pool().stats.readBytes).toBeLessThanOrEqual(10 * 4096 * 4);
    }
    const after = pool().stats;
    expect(after.buffers - before.buffers).toBeLessThanOrEqual(10);
    expect(after.spills - before.spills).toBeGreaterThanOrEqual(190);
    const eager = values(gelu(x));
    for (const r of kept) values(r).forEach((v, i) => expect(v).toBeCloseTo(eager[i]!, 5));
  });

  it('eager ops and item() read a result and keep the host copy', () => {
    const f = trace((x: k.Tensor) => k.sum(k.mul(x, 2)), { backend: 'wasm' });
    const r = f(k.tensor([1, 2, 3]));
    expect(r.onHost).toBe(false);
    expect(r.item()).toBe(12);
    expect(r.onHost).toBe(true);
    const before = copied();
    expect(k.add(r, 1).item()).toBe(13);
    expect(delta(before).bytesOut).toBe(0);
  });
});

describe('lifetime', () => {
  it('dispose() frees the block; reading a disposed, unread tensor is a clear error', () => {
    const f = trace((x: k.Tensor) => k.neg(x), { backend: 'wasm' });
    const start = pool().stats;
    const r = f(ramp(64));
    expect(pool().stats.buffers).toBe(start.buffers + 2); // the argument and the result
    r.dispose();
    expect(pool().stats.buffers).toBe(start.buffers + 1);
    expect(() => r.dataSync()).toThrow(k.KilnArgumentError);
    expect(() => r.dataSync()).toThrow('Cannot read tensor f32[64]: it was disposed');
    const kept = f(ramp(64));
    const data = kept.toArray(); // toArray copies to the host
    kept.dispose();
    expect(kept.toArray()).toEqual(data); // already on the host: still readable
  });

  it('frees a block when its tensor is garbage-collected (FinalizationRegistry)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const f = trace((x: k.Tensor) => k.neg(x), { backend: 'wasm' });
    const x = ramp(4096);
    f(x);
    const before = pool().stats;
    (() => {
      for (let i = 0; i < 50; i++) f(x); // 50 results nobody keeps
    })();
    expect(pool().stats.buffers).toBe(before.buffers + 50);
    for (let i = 0; i < 10 && pool().stats.buffers > before.buffers; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(pool().stats.collected).toBeGreaterThanOrEqual(before.collected + 50);
    expect(pool().stats.buffers).toBeLessThanOrEqual(before.buffers);
  });

  it('100,000 calls whose results are never read keep Wasm memory bounded', () => {
    const budget = 1 << 20;
    pool().budget = budget;
    const f = trace((x: k.Tensor) => k.add(k.mul(x, 2), 1), { backend: 'wasm' });
    const x = ramp(256);
    f(x);
    const memoryBytes = sharedMemory().memory.buffer.byteLength;
    const kept: k.Tensor[] = [];
    let peak = 0;
    for (let i = 0; i < 100_000; i++) {
      const r = f(x);
      if (i % 1000 === 0) kept.push(r); // some stay referenced, so they must be spilled, not lost
      peak = Math.max(peak, pool().stats.bytes);
    }
    expect(peak).toBeLessThanOrEqual(budget);
    expect(sharedMemory().memory.buffer.byteLength).toBeLessThanOrEqual(memoryBytes + 2 * budget);
    const expected = values(x).map((v) => v * 2 + 1);
    for (const r of kept) values(r).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
  });

  it('a synchronous loop that drops large results retains none of them', () => {
    pool().budget = 8 << 20;
    const f = trace((x: k.Tensor) => k.neg(x), { backend: 'wasm' });
    const x = ramp(1 << 20, 0.001); // 4 MB results
    f(x);
    const level = () => process.memoryUsage().heapUsed + process.memoryUsage().external;
    const before = level();
    // 300 dropped results are 1.2 GB: a pool that kept them (a WeakRef keeps its target alive to
    // the end of the job) would hold them all as spilled copies.
    for (let i = 0; i < 300; i++) f(x);
    expect(level() - before).toBeLessThan(400 << 20);
  });

  it('spilled results read back equal to eager', () => {
    const f = trace(gelu, { backend: 'wasm' });
    const inputs = Array.from({ length: 20 }, (_, i) => ramp(1000, 0.01 * (i + 1)));
    f(inputs[0]!);
    pool().budget = 3 * 4000;
    const spills = pool().stats.spills;
    const results = inputs.map((x) => f(x));
    expect(pool().stats.spills).toBeGreaterThan(spills + 10);
    // A spilled result is read from its spilled copy: only the still-resident ones copy out now.
    const before = copied();
    results.forEach((r) => r.dataSync());
    expect(delta(before).bytesOut).toBeLessThan(10 * 4000);
    results.forEach((r, j) => {
      const eager = values(gelu(inputs[j]!));
      values(r).forEach((v, i) => expect(v).toBeCloseTo(eager[i]!, 5));
    });
  });
});

describe('inputs spilled over the budget', () => {
  it('an argument whose block was spilled is copied in again when passed once more', () => {
    const f = trace(scaleShift, { backend: 'wasm' });
    const inputs = Array.from({ length: 12 }, (_, i) => ramp(1000, 0.02 * (i + 1)));
    pool().budget = 3 * 4000;
    inputs.forEach((x) => f(x)); // the early inputs' blocks are spilled to make room
    const again = inputs.map((x) => values(f(x)));
    again.forEach((got, j) => expect(got).toEqual(values(scaleShift(inputs[j]!)).map((v) => Math.fround(v))));
  });
});

describe('variables and in-place updates', () => {
  it('a variable updated in place is never visible through an earlier result', () => {
    const w = k.variable(k.tensor([1, 2, 3, 4]), { name: 'w' });
    const step = trace(
      (g: k.Tensor) => {
        const old = w.value;
        w.assign(k.sub(old, g)); // planned in place: the old value is not read afterwards
        return [old, w.value, k.mul(w.value, 10)] as const;
      },
      { backend: 'wasm' },
    );
    const g = k.ones([4]);
    const [old1, new1, scaled1] = step(g);
    const [old2, new2] = step(g);
    step(g);
    expect(values(old1)).toEqual([1, 2, 3, 4]);
    expect(values(new1)).toEqual([0, 1, 2, 3]);
    expect(values(scaled1)).toEqual([0, 10, 20, 30]);
    expect(values(old2)).toEqual([0, 1, 2, 3]);
    expect(values(new2)).toEqual([-1, 0, 1, 2]);
    expect(values(w.value)).toEqual([-2, -1, 0, 1]);
  });

  it('an update computed in place in the variable block does not reach results of earlier calls', () => {
    const w = k.variable(k.tensor([1, 2, 3, 4]), { name: 'w3' });
    const step = trace(
      (g: k.Tensor) => {
        w.assign(k.mul(k.sub(w.value, g), 2)); // nothing reads the old value: planned in place
        return w.value;
      },
      { backend: 'wasm' },
    );
    expect(step.ir(k.ones([4]), { stage: 'planned' })).toContain('in variable storage');
    const r1 = step(k.ones([4]));
    const r2 = step(k.ones([4]));
    expect(values(r1)).toEqual([0, 2, 4, 6]);
    expect(values(r2)).toEqual([-2, 2, 6, 10]);
    expect(values(w.value)).toEqual([-2, 2, 6, 10]);
  });

  it('a result assigned to a variable is not changed by the updates that follow', () => {
    const make = trace((x: k.Tensor) => k.mul(x, 2), { backend: 'wasm' });
    const w = k.variable(k.zeros([4]), { name: 'w2' });
    const bump = trace(
      () => {
        w.assign(k.add(w.value, 1));
        return k.sum(w.value);
      },
      { backend: 'wasm' },
    );
    const r = make(k.tensor([1, 2, 3, 4]));
    w.assign(r);
    expect(bump().item()).toBe(24);
    expect(bump().item()).toBe(28);
    expect(values(r)).toEqual([2, 4, 6, 8]);
    expect(values(w.value)).toEqual([4, 6, 8, 10]);
  });

  it('a failed call frees its result blocks and changes nothing', () => {
    const f = trace((x: k.Tensor, i: k.Tensor) => k.gather(x, i), { backend: 'wasm' });
    const x = ramp(8);
    f(x, k.tensor([0, 1], [2], 'i32'));
    const before = pool().stats.buffers;
    const bad = k.tensor([0, 9], [2], 'i32');
    expect(() => f(x, bad)).toThrow(k.KilnArgumentError);
    expect(pool().stats.buffers).toBe(before + 1); // only `bad`, now resident
  });
});
