#!/usr/bin/env node
// Bundles a built package's entry (dist/index.js, from tsc) into one file in place:
// `node ../../scripts/bundle-dist.mjs` from the package folder, after tsc. Node's ES module loader
// costs per file: importing kiln-jit as ~140 files took 100-130 ms and ~22 MB of RSS, as one file
// per package 35-45 ms and ~12 MB. Other packages stay imports (one instance of each), and so do
// the files that workers and the compile process load by URL: they run in threads of their own.
// The source map is chained through tsc's, so stack traces still name the TypeScript sources.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const entry = 'dist/index.js';
const bundled = 'dist/index.bundle.js';
await build({
  entryPoints: [entry],
  outfile: bundled,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  packages: 'external',
  external: ['node:*'],
  sourcemap: true,
  sourcesContent: true,
  logLevel: 'warning',
});
// The bundle and its map take the entry's names.
const code = readFileSync(bundled, 'utf8');
writeFileSync(entry, code.replace(/sourceMappingURL=index\.bundle\.js\.map\s*$/, 'sourceMappingURL=index.js.map\n'));
const map = JSON.parse(readFileSync(`${bundled}.map`, 'utf8'));
writeFileSync(`${entry}.map`, JSON.stringify({ ...map, file: 'index.js' }));
for (const f of [bundled, `${bundled}.map`]) rmSync(f);
