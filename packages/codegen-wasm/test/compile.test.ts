import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { trace } from '@kiln-jit/tracer';
import { compileGraph, KilnMemoryLimitError, loadBinaryen, sharedMemory } from '../src/index.ts';
import { PROGRAMS } from '../../tracer/test/support/programs.ts';

beforeAll(async () => {
  await loadBinaryen();
});

describe('every emitted module validates', () => {
  // compileGraph calls module.validate() and refuses a module that fails it.
  it.each(PROGRAMS.map((p) => [p.name, p] as const))('%s', (_name, program) => {
    const run = program.setup();
    const graph = trace(run.fn, { name: 'program', backend: 'interpreter' }).lower(...run.args);
    const executable = compileGraph(graph);
    expect(executable.stats.wasmBytes).toBeGreaterThan(0);
    executable.dispose!();
  });
});

describe('the wasm runtime', () => {
  it('keeps variables resident: a step writes them in memory, a read copies them out once', () => {
    const w = k.variable(k.tensor([1, 2, 3, 4]), { name: 'w' });
    const step = trace(
      (g: k.Tensor) => {
        w.assign(k.sub(w.value, k.mul(g, 0.5)));
        return k.sum(w.value);
      },
      { backend: 'wasm' },
    );
    const g = k.ones([4]);
    const before = w.version;
    expect(step(g).item()).toBe(8);
    expect(step(g).item()).toBe(6);
    expect(w.version).toBe(before + 2);
    expect(Array.from(w.value.dataSync())).toEqual([0, 1, 2, 3]);
    // An eager assignment between calls is written back into memory before the next call.
    w.assign(k.tensor([10, 10, 10, 10]));
    expect(step(g).item()).toBe(38);
    expect(Array.from(w.value.dataSync())).toEqual([9.5, 9.5, 9.5, 9.5]);
  });

  it('swaps two variables correctly (copies are staged)', () => {
    const a = k.variable(k.tensor([1, 2]), { name: 'a' });
    const b = k.variable(k.tensor([3, 4]), { name: 'b' });
    const swap = trace(
      () => {
        const [x, y] = [a.value, b.value];
        a.assign(y);
        b.assign(x);
        return x;
      },
      { backend: 'wasm' },
    );
    expect(Array.from(swap().dataSync())).toEqual([1, 2]);
    expect([Array.from(a.value.dataSync()), Array.from(b.value.dataSync())]).toEqual([
      [3, 4],
      [1, 2],
    ]);
  });

  it('reports an index out of range as the eager op does, and leaves variables unchanged', () => {
    const v = k.variable(k.tensor([1, 2, 3]), { name: 'v' });
    const f = trace(
      (i: k.Tensor) => {
        v.assign(k.mul(v.value, 2));
        return k.gather(v.value, i);
      },
      { backend: 'wasm' },
    );
    expect(Array.from(f(k.tensor([2, 0], undefined, 'i32')).dataSync())).toEqual([6, 2]);
    expect(() => f(k.tensor([1, 7], undefined, 'i32'))).toThrow(/gather: index 7 is out of range \[0, 3\)/);
    expect(Array.from(v.value.dataSync())).toEqual([2, 4, 6]);
  });

  it('prints on every call through the print import', () => {
    const spy = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const f = trace((x: k.Tensor) => k.mul(k.print(x, 'x'), 2), { backend: 'wasm' });
      f(k.tensor([1]));
      f(k.tensor([2]));
      expect(spy.mock.calls.map(([m]) => String(m))).toEqual(['x: Tensor f32[1]\n[1.]', 'x: Tensor f32[1]\n[2.]']);
    } finally {
      spy.mockRestore();
    }
  });

  it('fails at compile time with a clear error when a trace needs more than 4 GiB', () => {
    const f = trace((x: k.Tensor) => k.exp(k.add(x, 1)), {
      backend: 'wasm',
      inputSignature: [{ shape: [40000, 40000] }],
    });
    const reserved = sharedMemory().reservedBytes;
    expect(() => f.inspect()).toThrow(KilnMemoryLimitError);
    expect(() => f.inspect()).toThrow(/needs 17\.88 GiB per call .* more than WebAssembly's 4 GiB memory/);
    expect(sharedMemory().reservedBytes).toBe(reserved);
  });
});

describe("matmuls' shared helpers", () => {
  const ramp = (shape: number[], scale: number) =>
    k.reshape(k.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * scale))), shape);
  const [x, w1, w2, b] = [ramp([5, 8], 0.7), ramp([8, 16], 0.3), ramp([8, 16], 0.9), ramp([16], 1.3)];
  const tiles = (wat: string) => wat.match(/\(func \$\S+\$tile /g)?.length ?? 0;
  const close = (got: k.Tensor, want: k.Tensor) =>
    Array.from(want.dataSync()).forEach((v, i) => expect(got.dataSync()[i]).toBeCloseTo(v, 5));

  it('share one micro-kernel between matmuls with the same tile, row length and epilogue', () => {
    const fn = (a: k.Tensor) => [k.relu(k.add(k.matmul(a, w1), b)), k.relu(k.add(k.matmul(a, w2), b))];
    const f = trace(fn, { backend: 'wasm' });
    expect(tiles(f.ir({ shape: [5, 8] }, { stage: 'wat' }))).toBe(1);
    f(x).forEach((t, i) => close(t, fn(x)[i]!));
  });

  it('keep apart epilogues that differ, even only in a constant JSON has no text for', () => {
    const masked = (m: k.Tensor, fill: number) => k.where(k.greater(m, 0), m, fill);
    const fn = (a: k.Tensor) => [masked(k.matmul(a, w1), -Infinity), masked(k.matmul(a, w2), Infinity)];
    const f = trace(fn, { backend: 'wasm' });
    expect(tiles(f.ir({ shape: [5, 8] }, { stage: 'wat' }))).toBe(2);
    const [lo, hi] = f(x);
    close(lo!, fn(x)[0]!);
    close(hi!, fn(x)[1]!);
    expect(Array.from(lo!.dataSync())).toContain(-Infinity);
    expect(Array.from(hi!.dataSync())).toContain(Infinity);
  });
});
