import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { trace, asTraced, runFunctionsEagerly } from '../src/index.ts';

const f32 = (shape: number[], seed = 1) => k.randomNormal(shape, { seed });

describe('the trace cache', () => {
  let warnSpy: jest.SpiedFunction<typeof console.warn>;
  beforeEach(() => {
    warnSpy = jest.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => warnSpy.mockRestore());

  it('traces once for 100 calls with the same shapes and never re-runs the body', () => {
    let bodyRuns = 0;
    const f = trace(
      (x: k.Tensor, y: k.Tensor) => {
        bodyRuns++;
        return k.add(k.mul(x, y), 1);
      },
      { backend: 'interpreter' },
    );
    for (let i = 0; i < 100; i++) f(f32([3, 4], i), f32([4], i + 1000));
    expect(f.tracingCount).toBe(1);
    expect(bodyRuns).toBe(1);
    expect(f.cacheEntries).toHaveLength(1);
    expect(f.cacheEntries[0]!.calls).toBe(100);
    expect(f.retraceLog).toHaveLength(0);
  });

  it('retraces exactly once on a new shape and logs which argument changed', () => {
    const f = trace((x: k.Tensor, y: k.Tensor) => k.add(x, y), { backend: 'interpreter' });
    f(f32([2, 3]), f32([3]));
    f(f32([2, 3]), f32([3]));
    f(f32([5, 3]), f32([3]));
    f(f32([5, 3]), f32([3]));
    expect(f.tracingCount).toBe(2);
    expect(f.retraceLog).toHaveLength(1);
    expect(f.retraceLog[0]!.changes).toEqual([{ argument: 'x', from: 'f32[2,3]', to: 'f32[5,3]' }]);
    expect(f.retraceLog[0]!.message).toBe('x changed from f32[2,3] to f32[5,3]');
    expect(f.retraceLog[0]!.call).toBe(3);
  });

  it('retraces once on a new dtype', () => {
    const f = trace((x: k.Tensor) => k.abs(x), { backend: 'interpreter' });
    f(k.tensor([1, -2]));
    f(k.tensor([1, -2], undefined, 'i32'));
    f(k.tensor([3, -4], undefined, 'i32'));
    expect(f.tracingCount).toBe(2);
    expect(f.retraceLog[0]!.changes).toEqual([{ argument: 'x', from: 'f32[2]', to: 'i32[2]' }]);
  });

  it('treats non-tensor arguments as static: a new value retraces, naming the argument', () => {
    let bodyRuns = 0;
    const f = trace(
      (x: k.Tensor, scale: number) => {
        bodyRuns++;
        return k.mul(x, scale);
      },
      { backend: 'interpreter' },
    );
    expect(f(k.tensor([1, 2]), 3).dataSync()).toEqual(new Float32Array([3, 6]));
    expect(f(k.tensor([1, 2]), 3).dataSync()).toEqual(new Float32Array([3, 6]));
    expect(f(k.tensor([1, 2]), 4).dataSync()).toEqual(new Float32Array([4, 8]));
    expect(bodyRuns).toBe(2);
    expect(f.retraceLog.map((r) => r.changes)).toEqual([[{ argument: 'scale', from: '3', to: '4' }]]);
  });

  it('keys pytree arguments by structure and names the leaf that changed', () => {
    const f = trace((p: { w: k.Tensor; b: k.Tensor[] }) => k.add(p.w, p.b[0]!), { backend: 'interpreter' });
    f({ w: f32([2]), b: [f32([2])] });
    f({ w: f32([2]), b: [f32([1])] });
    expect(f.retraceLog[0]!.changes).toEqual([{ argument: 'p.b[0]', from: 'f32[2]', to: 'f32[1]' }]);
    f({ w: f32([2]), b: [f32([1]), f32([1])] });
    expect(f.retraceLog[1]!.changes[0]!.argument).toBe('p');
    expect(f.tracingCount).toBe(3);
  });

  it('warns about a retrace storm, naming the changing argument', () => {
    const f = trace((x: k.Tensor) => k.neg(x), { backend: 'interpreter' });
    for (let n = 1; n <= 10; n++) f(f32([n]));
    const storms = warnSpy.mock.calls.filter(([m]) => String(m).includes('retraced'));
    expect(storms).toHaveLength(1);
    expect(String(storms[0]![0])).toMatch(
      /function 'fn' retraced 6 times in its last 7 calls; 'x' keeps changing \(latest: f32\[6\] -> f32\[7\]\)/,
    );
  });

  it('does not warn when retraces stay at five or fewer in the last ten calls', () => {
    const f = trace((x: k.Tensor) => k.neg(x), { backend: 'interpreter' });
    // Alternating between two shapes traces each once, then hits the cache.
    for (let i = 0; i < 30; i++) f(f32([i % 2 === 0 ? 2 : 3]));
    // Five new shapes among ten calls: exactly at the threshold.
    for (let n = 10; n < 15; n++) {
      f(f32([n]));
      f(f32([n]));
    }
    expect(f.tracingCount).toBe(7);
    expect(warnSpy.mock.calls.filter(([m]) => String(m).includes('retraced'))).toHaveLength(0);
  });

  it('bounds the cache: the least recently used trace is dropped beyond maxCacheEntries', () => {
    const f = trace((x: k.Tensor) => k.neg(x), { backend: 'interpreter', maxCacheEntries: 2 });
    f(f32([1]));
    f(f32([2]));
    f(f32([1])); // [2] is now the least recently used
    f(f32([3])); // evicts [2]
    expect(f.cacheEntries.map((e) => e.signature)).toEqual(['x: f32[1]', 'x: f32[3]']);
    f(f32([2]));
    expect(f.tracingCount).toBe(4);
    expect(f.retraceLog.at(-1)!.message).toBe('x changed from f32[3] to f32[2]');
  });

  it('runFunctionsEagerly runs the body on every call', () => {
    let bodyRuns = 0;
    const f = trace(
      (x: k.Tensor) => {
        bodyRuns++;
        return k.exp(x);
      },
      { backend: 'interpreter' },
    );
    runFunctionsEagerly(true);
    try {
      f(f32([2]));
      f(f32([2]));
    } finally {
      runFunctionsEagerly(false);
    }
    expect(bodyRuns).toBe(2);
    expect(f.tracingCount).toBe(0);
    f(f32([2]));
    expect(f.tracingCount).toBe(1);
  });

  it('inputSignature traces without data and rejects calls that do not match', () => {
    const f = trace((x: k.Tensor, y: k.Tensor) => k.matmul(x, y), {
      backend: 'interpreter',
      inputSignature: [
        { shape: [2, 3], dtype: 'f32' },
        { shape: [3, 4], dtype: 'f32' },
      ],
    });
    expect(f.ir()).toContain('graph @fn(%x: f32[2,3], %y: f32[3,4])');
    expect(f.tracingCount).toBe(1);
    expect(f(f32([2, 3]), f32([3, 4])).shape).toEqual([2, 4]);
    expect(f.tracingCount).toBe(1);
    expect(() => f(f32([5, 3]), f32([3, 4]))).toThrow(
      'fn: call does not match inputSignature: x is f32[5,3] but inputSignature says f32[2,3]',
    );
  });

  it('returns pytrees and static values from the traced body', () => {
    const f = trace((x: k.Tensor) => ({ double: k.mul(x, 2), parts: [k.neg(x), 'tag'] as const, n: 3 }), {
      backend: 'interpreter',
    });
    const out = f(k.tensor([1, 2]));
    expect(out.double.dataSync()).toEqual(new Float32Array([2, 4]));
    expect(out.parts[0].dataSync()).toEqual(new Float32Array([-1, -2]));
    expect(out.parts[1]).toBe('tag');
    expect(out.n).toBe(3);
  });

  it('asTraced refuses a plain function', () => {
    expect(() => asTraced(() => 1)).toThrow('is not a traced function');
  });
});
