/**
 * Relaxed-SIMD FMA in traced code: where the engine has relaxed SIMD (on Node 20 this file turns
 * its flag on), matmul, convolution and the SIMD math use relaxed_madd and still match eager;
 * KILN_RELAXED_SIMD=0 gives modules without it, decided per compile, and the compile cache keeps
 * the two apart. (runtime-features.test.ts checks the engine as started: no flag, no FMA.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k from '@kiln-jit/core';
import { trace } from '@kiln-jit/tracer';
import { loadBinaryen, runtimeFeatures, useRelaxedSimd } from '../src/index.ts';
import { enableRelaxedSimd } from './relaxed-engine.ts';

const saved = { ...process.env };
let restoreEngine = () => {};
beforeAll(async () => {
  // Before anything probes the engine: runtimeFeatures() is probed once per module instance.
  restoreEngine = await enableRelaxedSimd();
  await loadBinaryen();
});
afterAll(() => restoreEngine());
afterEach(() => {
  for (const name of ['KILN_RELAXED_SIMD', 'KILN_CACHE', 'KILN_CACHE_DIR']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

const ramp = (shape: number[], scale: number) =>
  k.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * scale)),
    shape,
  );
const a = ramp([37, 70], 0.37);
const w = ramp([70, 29], 0.11);
const bias = ramp([29], 0.5);
const image = ramp([2, 9, 9, 3], 0.23);
const filter = ramp([3, 3, 3, 8], 0.19);

const programs: [string, (...xs: k.Tensor[]) => k.Tensor, k.Tensor[]][] = [
  ['matmul + bias + gelu', (x, y, b) => k.gelu(k.add(k.matmul(x, y), b!)), [a, w, bias]],
  ['conv2d', (x, f) => k.relu(k.conv2d(x, f, { padding: 'same' })), [image, filter]],
  ['softmax of a log', (x) => k.softmax(k.log(k.add(k.abs(x), 0.5))), [a]],
];

/** A fresh trace's results and printed module, with KILN_RELAXED_SIMD as given. */
function run(fn: (...xs: k.Tensor[]) => k.Tensor, inputs: k.Tensor[], setting?: '0' | '1') {
  if (setting === undefined) delete process.env.KILN_RELAXED_SIMD;
  else process.env.KILN_RELAXED_SIMD = setting;
  const f = trace(fn, { backend: 'wasm' });
  const y = Array.from(f(...inputs).dataSync());
  const wat = f.ir(...inputs.map((t) => ({ shape: t.shape })), { stage: 'wat' });
  return { y, wat, fromCache: f.inspect(...inputs).stats.fromCache };
}

describe('relaxed-SIMD FMA in traced code', () => {
  it('is used where the engine has relaxed SIMD, unless KILN_RELAXED_SIMD=0', () => {
    expect(runtimeFeatures().relaxedSimd).toBe(true);
    expect(useRelaxedSimd()).toBe(true);
    process.env.KILN_RELAXED_SIMD = '0';
    expect(useRelaxedSimd()).toBe(false);
    process.env.KILN_RELAXED_SIMD = '1';
    expect(useRelaxedSimd()).toBe(true);
  });

  it.each(programs)('%s: relaxed_madd only when allowed, results matching eager both ways', (_, fn, inputs) => {
    const eager = Array.from(fn(...inputs).dataSync());
    const fused = run(fn, inputs);
    const plain = run(fn, inputs, '0');
    expect(fused.wat).toContain('f32x4.relaxed_madd');
    expect(plain.wat).not.toContain('relaxed');
    for (const y of [fused.y, plain.y]) {
      expect(y).toHaveLength(eager.length);
      y.forEach((v, i) => expect(Math.abs(v - eager[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(eager[i]!))));
    }
  });

  it('keeps modules with and without FMA apart in the compile cache', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-relaxed-cache-'));
    try {
      process.env.KILN_CACHE = '1';
      process.env.KILN_CACHE_DIR = dir;
      const [, fn, inputs] = programs[0]!;
      expect(run(fn, inputs).fromCache).toBe(0);
      const plain = run(fn, inputs, '0');
      // Not the FMA module from the first run: a miss, compiled and stored under its own key.
      expect(plain.fromCache).toBe(0);
      expect(readdirSync(dir).filter((f) => f.endsWith('.kwasm'))).toHaveLength(2);
      const again = run(fn, inputs, '0');
      expect(again.fromCache).toBe(1);
      expect(again.wat).not.toContain('relaxed');
      expect(again.y).toEqual(plain.y);
      expect(run(fn, inputs).fromCache).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
