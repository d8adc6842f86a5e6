/**
 * @file Builds the browser page into examples/browser/build/: first the packages' dist/ (as they are
 * published; rebuilt only when a source file is newer), then one esbuild bundle that imports
 * `kiln-jit` through its default `import` condition, exactly as a user's bundler would.
 * `node scripts/run-ts.mjs examples/browser/build.ts` builds once; `buildPage({ watch: true })` keeps rebuilding.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
export const OUT_DIR = join(here, 'build');
/** In dependency order: each package's build reads the declarations of the ones before it. */
const PACKAGES = ['core', 'tracer', 'codegen-wasm', 'kiln'];

function newestMtime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((t, e) => Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs), 0);
}

const BUNDLE_DIST = 'scripts/bundle-dist.mjs';

/** Runs each package's build (tsc, then bundle-dist where its script does) when its dist/ is missing or older than src/. */
export function buildPackages(): void {
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  for (const name of PACKAGES) {
    const dir = join(root, 'packages', name);
    const built = join(dir, 'dist/index.js');
    if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(dir, 'src'))) continue;
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' });
    // Then the rest of the package's own build script: the one-file bundle of its entry.
    const { scripts } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: { build: string } };
    if (scripts.build.includes(BUNDLE_DIST)) {
      execFileSync(process.execPath, [join(root, BUNDLE_DIST)], { cwd: dir, stdio: 'inherit' });
    }
  }
}

/**
 * No stand-ins for Node modules: Kiln's packages import none where a page loads them. Binaryen's
 * own `import("node:module")` runs only under Node (it checks first), so it stays external.
 */
const options: esbuild.BuildOptions & { outfile: string } = {
  entryPoints: [join(here, 'src/main.ts')],
  outfile: join(OUT_DIR, 'main.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Top-level await (binaryen and the facade wait for the code generator) needs ES2022 modules.
  target: 'es2022',
  // Identifiers keep their names: the IR panel prints the traced function's parameter names.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
  external: ['node:module'],
};

const copyHtml = (): void => copyFileSync(join(here, 'index.html'), join(OUT_DIR, 'index.html'));

/**
 * Builds the packages and the page. Returns the bundle's size in bytes and the resolved inputs
 * (from esbuild's metafile); with `watch`, returns the esbuild context, which rebuilds on change.
 */
export interface PageBuild {
  /** Size of main.js in bytes. */
  bytes: number;
  /** Every file esbuild bundled, relative to the repository root. */
  inputs: string[];
}

export async function buildPage(): Promise<PageBuild>;
export async function buildPage(options: { watch: true }): Promise<esbuild.BuildContext>;
export async function buildPage({ watch = false } = {}): Promise<PageBuild | esbuild.BuildContext> {
  buildPackages();
  mkdirSync(OUT_DIR, { recursive: true });
  copyHtml();
  if (watch) {
    const html: esbuild.Plugin = { name: 'copy-html', setup: (b) => void b.onEnd(copyHtml) };
    const context = await esbuild.context({ ...options, plugins: [html] });
    await context.watch();
    return context;
  }
  const result = await esbuild.build(options);
  writeFileSync(join(OUT_DIR, 'meta.json'), JSON.stringify(result.metafile));
  return { bytes: statSync(options.outfile).size, inputs: Object.keys(result.metafile!.inputs) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { bytes } = await buildPage();
  console.log(`built ${options.outfile} (${(bytes / 2 ** 20).toFixed(2)} MiB)`);
}
