import { describe, expect, it } from '@jest/globals';
import { getNumThreads, randomNormal, setNumThreads, type Tensor } from 'kiln-jit';
import { parseOptions, UsageError } from '../src/options.ts';
import { createRunner } from '../src/runners.ts';
import { memoryGroups } from '../src/suite.ts';
import { formatTable } from '../src/table.ts';
import { defaultThreadCounts, withThreads } from '../src/threads.ts';
import { readTensors } from '../src/workloads/tensors.ts';
import { baseMode, parseMode, threadsOf, type Workload } from '../src/workloads/index.ts';
import { syntheticResults } from './synthetic.ts';

describe('--threads', () => {
  it('runs wasm once per thread count, each its own mode next to wasm', () => {
    const { modes, threads } = parseOptions(['--modes', 'eager,wasm,tfjs-wasm,jax-js', '--threads', '1,2,4']);
    expect(threads).toEqual([1, 2, 4]);
    expect(modes).toEqual(['eager', 'wasm', 'wasm-2t', 'wasm-4t', 'tfjs-wasm', 'jax-js']);
    expect(parseOptions(['--modes', 'wasm', '--threads', '2']).modes).toEqual(['wasm-2t']);
  });

  it("defaults to one thread plus Kiln's default count when that differs", () => {
    const counts = defaultThreadCounts();
    expect(counts[0]).toBe(1);
    expect(counts).toEqual(getNumThreads() === 1 ? [1] : [1, getNumThreads()]);
    expect(parseOptions([]).threads).toEqual(counts);
  });

  it('leaves out every peer with --no-peers, jax-js included', () => {
    expect(parseOptions(['--no-peers', '--threads', '1']).modes).toEqual(['eager', 'interpreter', 'wasm']);
  });

  it('rejects a count that is not a whole number >= 1, and takes a thread mode in --inject-delay', () => {
    for (const bad of ['0', '1.5', 'two', ',']) expect(() => parseOptions(['--threads', bad])).toThrow(UsageError);
    expect(parseOptions(['--only', 'gelu', '--inject-delay', 'gelu:wasm-2t=30%']).delays.get('gelu:wasm-2t')).toBe(0.3);
  });

  it('names modes so that results files round-trip', () => {
    expect([threadsOf('wasm'), threadsOf('wasm-2t'), threadsOf('eager')]).toEqual([1, 2, null]);
    expect([baseMode('wasm-8t'), baseMode('jax-js')]).toEqual(['wasm', 'jax-js']);
    expect([parseMode('wasm-2t'), parseMode('wasm-1t'), parseMode('wasm-0t'), parseMode('jax-js')]).toEqual([
      'wasm-2t',
      null,
      null,
      'jax-js',
    ]);
  });
});

describe('a Wasm row under its thread count', () => {
  it('restores the previous setting, even when the call throws', () => {
    setNumThreads(3);
    expect(withThreads(2, () => getNumThreads())).toBe(2);
    expect(() =>
      withThreads(5, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(getNumThreads()).toBe(3);
    expect(withThreads(null, () => getNumThreads())).toBe(3);
  });

  it('sets its count while tracing and around every timed call, also when rows interleave', async () => {
    // The function records the setting while it is traced; `read` (run inside every timed call,
    // as timedUse 'read') records it at each call.
    const seen: string[] = [];
    const workload = (label: string): Workload => ({
      id: `probe-${label}`,
      title: 'probe',
      quick: true,
      checkCalls: 1,
      kiln: () => ({
        fn: (x: Tensor) => {
          seen.push(`${label} traced at ${getNumThreads()}`);
          return x;
        },
        args: [randomNormal([4], { seed: 1 })],
        read: (out) => {
          seen.push(`${label} called at ${getNumThreads()}`);
          return readTensors(out);
        },
        timedUse: 'read',
      }),
    });
    setNumThreads(7);
    const one = await createRunner(workload('wasm'), 'wasm');
    const two = await createRunner(workload('wasm-2t'), 'wasm-2t');
    expect(getNumThreads()).toBe(7);
    one.call();
    two.call();
    one.call();
    expect(getNumThreads()).toBe(7);
    expect(seen.filter((s) => s.includes('traced'))).toEqual(['wasm traced at 1', 'wasm-2t traced at 2']);
    expect(seen.filter((s) => s.includes('called'))).toEqual([
      'wasm called at 1',
      'wasm-2t called at 2',
      'wasm called at 1',
    ]);
    one.dispose();
    two.dispose();
  });
});

describe('the memory probe', () => {
  it('gives each Wasm row on more threads a child process of its own (Wasm memories only grow)', () => {
    expect(memoryGroups(['eager', 'wasm', 'wasm-2t', 'wasm-4t', 'jax-js'])).toEqual([
      ['eager', 'wasm', 'jax-js'],
      ['wasm-2t'],
      ['wasm-4t'],
    ]);
    expect(memoryGroups(['wasm-2t'])).toEqual([['wasm-2t']]);
  });
});

describe('the table', () => {
  it('gives a thread-count row its speed-up over the one-thread row', () => {
    const table = formatTable(syntheticResults({ twoThreads: true }));
    expect(table).toMatch(/^ +wasm-2t +.*1\.\d\d× vs 1 thread/m);
    expect(table).not.toMatch(/^ +wasm +.*vs 1 thread/m);
  });
});
