/**
 * @file Rewrites the golden .wat files of test/golden from the current code generator.
 * Run: node scripts/run-ts.mjs packages/codegen-wasm/scripts/update-golden.ts
 */
import { writeFileSync } from 'node:fs';
import { loadBinaryen } from '../src/binaryen.ts';
import { GOLDEN_CASES, goldenWat } from '../test/golden/cases.ts';

await loadBinaryen();
for (const c of GOLDEN_CASES) {
  const path = new URL(`../test/golden/${c.file}`, import.meta.url);
  writeFileSync(path, goldenWat(c));
  console.log(`wrote ${c.file}`);
}
