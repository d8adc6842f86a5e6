import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { loadBinaryen } from '../src/binaryen.ts';
import { GOLDEN_CASES, goldenWat } from './golden/cases.ts';

describe('golden WebAssembly text of small kernels', () => {
  beforeAll(async () => {
    await loadBinaryen();
  });

  it.each(GOLDEN_CASES.map((c) => [c.file, c] as const))('%s', (file, c) => {
    const expected = readFileSync(new URL(`./golden/${file}`, import.meta.url), 'utf8');
    // On a deliberate change: node scripts/run-ts.mjs packages/codegen-wasm/scripts/update-golden.ts
    expect(goldenWat(c)).toBe(expected);
  });
});
