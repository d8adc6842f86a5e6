/**
 * @file kiln-jit bundled for a browser as a user's bundler would do it (esbuild, `platform:
 * 'browser'`, no stand-ins for Node modules): no module the facade loads imports a `node:` module,
 * only Binaryen's Node-only dynamic `import("node:module")` is left for Node, and errors raised in
 * the bundle still name the user's line (checked through the bundle's source map).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../../..');
const ENTRY = join(import.meta.dirname, 'bundle/located-error.ts');
const outDir = mkdtempSync(join(tmpdir(), 'kiln-bundle-'));
const outfile = join(outDir, 'located-error.js');
let metafile: esbuild.Metafile;

beforeAll(async () => {
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The workspace's sources (the same modules dist/ is built from).
    conditions: ['kiln-source'],
    // Kept in the bundle as imports, so the metafile lists every one and the build cannot fail on them.
    external: ['node:*'],
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: ROOT,
  });
  metafile = result.metafile;
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('kiln-jit bundled for a browser', () => {
  it('loads no node: module from any module the facade reaches; only Binaryen asks for one, dynamically', () => {
    const nodeImports = Object.entries(metafile.inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => i.path.startsWith('node:')).map((i) => ({ file, path: i.path, kind: i.kind })),
    );
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((f) => f.startsWith('packages/')).length).toBeGreaterThan(50);
    expect(nodeImports.filter((i) => i.file.startsWith('packages/'))).toEqual([]);
    expect(nodeImports).toEqual([
      {
        file: expect.stringMatching(/node_modules\/binaryen\/index\.js$/),
        path: 'node:module',
        kind: 'dynamic-import',
      },
    ]);
  });

  it("names the user's line in a bad-input error raised inside the bundle", () => {
    const printed = JSON.parse(execFileSync(process.execPath, [outfile], { encoding: 'utf8' }));
    expect(printed).toMatchObject({ thrown: true, isKilnError: true, name: 'KilnShapeError' });
    expect(printed.detail).toMatch(/^add: /);
    // Every frame is in the one bundle file; the location is the bad call's, as the map tells.
    const { file, line, column } = printed.location as { file: string; line: number; column: number };
    expect(file).toBe(outfile);
    const map = new SourceMap(JSON.parse(readFileSync(`${outfile}.map`, 'utf8')) as SourceMapPayload);
    const entry = map.findEntry(line - 1, column - 1) as { originalSource: string; originalLine: number };
    expect(relative(ROOT, resolve(outDir, entry.originalSource))).toBe('packages/kiln/test/bundle/located-error.ts');
    const badLine = readFileSync(ENTRY, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('// the bad call'));
    expect(entry.originalLine).toBe(badLine);
  });
});
