#!/usr/bin/env node
// Runs a TypeScript file of the repository with tsx: `node scripts/run-ts.mjs path/to/file.ts [args...]`.
// The script sees its own path and the remaining arguments in process.argv, as if run directly.
// Workspace packages resolve to their sources through the `kiln-source` export condition; when
// Node was started without it, this script starts itself again with it.
import { register } from 'tsx/esm/api';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
if (!import.meta.resolve('kiln-jit').endsWith('.ts')) {
  const args = ['--conditions=kiln-source', ...process.execArgv, fileURLToPath(import.meta.url), file, ...rest];
  const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
// Load binaryen (the Wasm code generator) before tsx hooks the loader: through tsx its 15 MB
// file takes ~6 s to load instead of ~0.3 s. Later imports of it hit the module cache.
const codegen = new URL('../packages/codegen-wasm/package.json', import.meta.url);
await import(pathToFileURL(createRequire(codegen).resolve('binaryen')).href);
register();
const path = resolve(process.cwd(), file);
process.argv = [process.argv[0], path, ...rest];
await import(pathToFileURL(path).href);
