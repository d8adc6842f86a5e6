#!/usr/bin/env node
// Packs the published packages, in dependency order, into one folder:
// `node scripts/pack.mjs [out-dir]` (default: ./packed). Each package's `prepack` builds its
// dist/ first; pnpm rewrites `workspace:*` ranges to versions. Prints one tarball path a line.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Dependencies first: each package's build reads the declarations of the ones before it. */
export const PUBLISHED = ['core', 'tracer', 'codegen-wasm', 'kiln', 'cli'];
const root = join(fileURLToPath(import.meta.url), '../..');

/** How to run pnpm: the running one when started by pnpm, else the pinned one through npx. */
function pnpm() {
  const exec = process.env.npm_execpath ?? '';
  if (/pnpm/.test(exec)) return exec.endsWith('js') ? [process.execPath, exec] : [exec];
  return ['npx', '-y', 'pnpm@10.34.9'];
}

/** Packs every published package into `outDir`; returns the tarball paths, in PUBLISHED order. */
export function packAll(outDir) {
  mkdirSync(outDir, { recursive: true });
  const [cmd, ...pre] = pnpm();
  for (const name of PUBLISHED) {
    execFileSync(cmd, [...pre, 'pack', '--pack-destination', outDir], {
      cwd: join(root, 'packages', name),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const tarballs = readdirSync(outDir).filter((f) => f.endsWith('.tgz'));
  return PUBLISHED.map((name) => {
    const prefix = name === 'kiln' ? 'kiln-jit-' : `kiln-jit-${name}-`;
    const file = tarballs.find((f) => f.startsWith(prefix) && /^\d/.test(f.slice(prefix.length)));
    if (!file) throw new Error(`pack: no tarball for packages/${name} in ${outDir}`);
    return join(outDir, file);
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const tarball of packAll(resolve(process.argv[2] ?? 'packed'))) console.log(tarball);
}
