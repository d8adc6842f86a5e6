/**
 * @file Small programs whose WebAssembly text is kept as golden files in this folder. Regenerate
 * them with `node scripts/run-ts.mjs packages/codegen-wasm/scripts/update-golden.ts` after an
 * intended change to code generation, and review the diff.
 */
import * as k from '@kiln-jit/core';
import { trace, type TensorSpec } from '@kiln-jit/tracer';
import '../../src/index.ts';

export interface GoldenCase {
  file: string;
  fn: (...args: k.Tensor[]) => k.Tensor;
  specs: TensorSpec[];
}

export const GOLDEN_CASES: GoldenCase[] = [
  { file: 'bias-relu.wat', fn: (x, b) => k.relu(k.add(x, b!)), specs: [{ shape: [2, 8] }, { shape: [8] }] },
  { file: 'row-softmax.wat', fn: (x) => k.softmax(x), specs: [{ shape: [4, 8] }] },
  { file: 'column-sum.wat', fn: (x) => k.sum(k.square(x), 0), specs: [{ shape: [4, 8] }] },
  { file: 'compare-where.wat', fn: (x, y) => k.where(k.greater(x, y!), x, 0), specs: [{ shape: [6] }, { shape: [] }] },
];

/**
 * The printed WebAssembly of a golden case, without relaxed SIMD: the text must not depend on the
 * Node that prints it (relaxed-simd.test.ts covers the FMA variant).
 */
export function goldenWat(c: GoldenCase): string {
  const saved = process.env.KILN_RELAXED_SIMD;
  process.env.KILN_RELAXED_SIMD = '0';
  try {
    return trace(c.fn, { name: c.file.replace('.wat', '').replace('-', '_'), backend: 'wasm' }).ir(...c.specs, {
      stage: 'wat',
    });
  } finally {
    if (saved === undefined) delete process.env.KILN_RELAXED_SIMD;
    else process.env.KILN_RELAXED_SIMD = saved;
  }
}
