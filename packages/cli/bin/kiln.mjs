#!/usr/bin/env node
// The `kiln` command. Users run the built JavaScript in dist/; inside the Kiln repository,
// `node --conditions=kiln-source` resolves this package to its TypeScript sources, which then run
// through tsx. Binaryen (the Wasm code generator) is loaded first with plain Node: through tsx its
// 15 MB file takes ~6 s to load instead of ~0.4 s, and later imports of it hit the module cache.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const entry = import.meta.resolve('@kiln-jit/cli');
const codegen = import.meta.resolve('@kiln-jit/codegen-wasm');
await import(pathToFileURL(createRequire(codegen).resolve('binaryen')).href);
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
  // The CLI's own TypeScript loader (src/ts-loader.ts) sees this and does not register twice.
  globalThis[Symbol.for('kiln-jit.tsx')] = true;
}
const { main } = await import(entry);
const code = await main(process.argv.slice(2));
// Exit even if the inspected program left timers or handles open, once stdout is flushed.
process.stdout.write('', () => process.exit(code));
