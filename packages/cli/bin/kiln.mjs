#!/usr/bin/env node
// The `kiln` command. The CLI and the user's files are TypeScript, run through tsx; binaryen
// (the Wasm code generator) is loaded first with plain Node, because through tsx its 15 MB file
// takes ~6 s to load instead of ~0.3 s. Later imports of it hit the module cache.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const codegen = new URL('../node_modules/@kiln-jit/codegen-wasm/package.json', import.meta.url);
await import(pathToFileURL(createRequire(codegen).resolve('binaryen')).href);
register();
const { main } = await import('../src/main.ts');
const code = await main(process.argv.slice(2));
// Exit even if the inspected program left timers or handles open, once stdout is flushed.
process.stdout.write('', () => process.exit(code));
