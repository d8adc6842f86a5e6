/**
 * Row kernels divide by a per-row value by multiplying with its reciprocal when that is normal,
 * and divide otherwise: rows whose divisor is ordinary, denormal (1/s overflows) or huge (1/s is
 * denormal), and special, against eager. 37 columns take the unrolled, the 4-lane and the
 * one-lane loops.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { trace } from '@kiln-jit/tracer';
import { ready } from '../src/index.ts';

const COLS = 37;

/** One row of COLS values, each `scale` times a varied factor in [1, 2). */
const row = (scale: number): number[] => Array.from({ length: COLS }, (_, j) => scale * (1 + ((j * 7) % 11) / 11));

beforeAll(async () => {
  await ready();
});

describe('division by a per-row value', () => {
  const rows = [row(1), row(-3.5), row(1e-42), row(2e-39), row(3e36), row(0), [Infinity, ...row(1).slice(1)]];
  const x = k.tensor(rows);
  const fn = (t: k.Tensor): k.Tensor => k.div(t, k.sum(t, -1, true));

  it('agrees with eager for ordinary, denormal, huge, zero and infinite divisors', () => {
    const traced = trace(fn, { backend: 'wasm' });
    try {
      const got = traced(x).dataSync();
      const want = fn(x).dataSync();
      for (let i = 0; i < want.length; i++) {
        const [g, w] = [got[i]!, want[i]!];
        if (Number.isNaN(w)) expect(g).toBeNaN();
        else expect(Math.abs(g - w)).toBeLessThanOrEqual(2e-6 * Math.abs(w));
      }
    } finally {
      traced.clearCache();
    }
  });
});
