import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { KilnConcretizationError, KilnEscapedTracerError } from '@kiln-jit/core';
import { trace } from '../src/index.ts';
import { lineOf } from './support/source-lines.ts';

function thrown(fn: () => unknown): Error & { location?: { line: number; file: string } | null } {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('trace-time mistakes', () => {
  let warnSpy: jest.SpiedFunction<typeof console.warn>;
  let logSpy: jest.SpiedFunction<typeof console.log>;
  beforeEach(() => {
    warnSpy = jest.spyOn(console, 'warn').mockImplementation(() => {});
    logSpy = jest.spyOn(console, 'log').mockImplementation(() => {});
  });
  afterEach(() => {
    warnSpy.mockRestore();
    logSpy.mockRestore();
  });

  it('a symbolic tensor used as a JS boolean (if (loss > 0)) throws at the user line', () => {
    const f = trace(
      (x: k.Tensor) => {
        const loss = k.sum(x);
        // @ts-expect-error TypeScript catches this too; plain JavaScript users do not get that help.
        if (loss > 0) return k.neg(x); // @bool-line
        return x;
      },
      { backend: 'interpreter' },
    );
    const e = thrown(() => f(k.tensor([1, 2])));
    expect(e).toBeInstanceOf(KilnConcretizationError);
    expect(e.message).toContain('data-dependent control flow cannot be traced');
    expect(e.message).toContain('where(cond, a, b)');
    expect(e.message).toContain('static (non-tensor) argument');
    expect(e.message).toContain('f32[]');
    expect(e.location!.line).toBe(lineOf(import.meta.url, '// @bool-line'));
    expect(e.location!.file).toMatch(/mistakes\.test\.ts$/);
  });

  it('Number(t) on a symbolic tensor throws at the user line', () => {
    const f = trace((x: k.Tensor) => k.mul(x, Number(k.max(x))), { backend: 'interpreter' }); // @number-line
    const e = thrown(() => f(k.tensor([1, 2])));
    expect(e).toBeInstanceOf(KilnConcretizationError);
    expect(e.message).toContain('as a JS number or boolean');
    expect(e.location!.line).toBe(lineOf(import.meta.url, '// @number-line'));
  });

  it('reading data of a symbolic tensor throws the same way', () => {
    const f = trace((x: k.Tensor) => k.mul(x, x.dataSync()[0]!), { backend: 'interpreter' }); // @data-line
    const e = thrown(() => f(k.tensor([1, 2])));
    expect(e).toBeInstanceOf(KilnConcretizationError);
    expect(e.location!.line).toBe(lineOf(import.meta.url, '// @data-line'));
  });

  it('a symbolic tensor that escapes its trace is a clear error when used later', () => {
    let leaked: k.Tensor | null = null;
    const f = trace(
      (x: k.Tensor) => {
        leaked = k.mul(x, 2);
        return k.neg(x);
      },
      { backend: 'interpreter' },
    );
    f(k.tensor([1, 2]));
    const e = thrown(() => k.add(leaked!, 1)); // @escape-line
    expect(e).toBeInstanceOf(KilnEscapedTracerError);
    expect(e.message).toContain('from a trace that has ended');
    expect(e.message).toContain('Return it from the traced function');
    expect(e.location!.line).toBe(lineOf(import.meta.url, '// @escape-line'));
    // Used inside another trace it is just as clear.
    const g = trace((y: k.Tensor) => k.add(y, leaked!), { backend: 'interpreter' });
    expect(() => g(k.tensor([1, 2]))).toThrow(KilnEscapedTracerError);
    expect(() => leaked!.dataSync()).toThrow(KilnEscapedTracerError);
  });

  it('console.log in a traced function is reported once, with its line, and print() is offered', () => {
    const f = trace(
      (x: k.Tensor) => {
        console.log('tracing', x.shape); // @console-line
        return k.exp(x);
      },
      { backend: 'interpreter' },
    );
    f(k.tensor([1]));
    f(k.tensor([2]));
    f(k.tensor([1, 2]));
    const warnings = warnSpy.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('console.log'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('runs only while tracing');
    expect(warnings[0]).toContain('print(t, label)');
    expect(warnings[0]).toMatch(new RegExp(`mistakes\\.test\\.ts:${lineOf(import.meta.url, '// @console-line')}:`));
    // It ran at the two traces only, not on the cached call.
    expect(logSpy.mock.calls.filter(([m]) => m === 'tracing')).toHaveLength(2);
  });

  it('print(t, label) prints on every call of a traced function', () => {
    const f = trace((x: k.Tensor) => k.print(k.mul(x, 3), 'tripled'), { backend: 'interpreter' });
    for (let i = 0; i < 3; i++) f(k.tensor([i]));
    const printed = logSpy.mock.calls.map(([m]) => String(m));
    expect(printed).toEqual([
      'tripled: Tensor f32[1]\n[0.]',
      'tripled: Tensor f32[1]\n[3.]',
      'tripled: Tensor f32[1]\n[6.]',
    ]);
    expect(warnSpy).not.toHaveBeenCalled();
  });

  it('a shape error while tracing names the op and the user line', () => {
    const f = trace((x: k.Tensor) => k.matmul(x, x), { backend: 'interpreter' }); // @shape-line
    const e = thrown(() => f(k.ones([2, 3])));
    expect(e.message).toContain('matmul: inner dimensions differ: f32[2,3], f32[2,3]');
    expect(e.location!.line).toBe(lineOf(import.meta.url, '// @shape-line'));
    // A trace that fails leaves no trace behind: nothing counted, nothing cached.
    expect(f.tracingCount).toBe(0);
    expect(f.cacheEntries).toHaveLength(0);
  });
});

describe('JS conditions on tensors', () => {
  it('are an error naming the construct and its line, on tensor parameters and op results', () => {
    const f = trace(function f(x: k.Tensor, n: number) {
      const big = k.greater(k.sum(x), n);
      while (big) return x;
      return x;
    });
    expect(() => f(k.tensor([1]), 2)).toThrow(/`while \(big\)` \(line 3 of its source\)/);
    const g = trace((x: k.Tensor) => (!x ? x : k.neg(x)));
    expect(() => g(k.tensor([1]))).toThrow(/`!x`/);
  });

  it('leave conditions on plain JS values alone', () => {
    const f = trace((x: k.Tensor, flag: boolean, n: number) => (flag && Math.max(n, 1) ? k.neg(x) : x));
    expect(f(k.tensor([1]), true, 3).toArray()).toEqual([-1]);
    expect(f(k.tensor([1]), false, 3).toArray()).toEqual([1]);
  });
});
