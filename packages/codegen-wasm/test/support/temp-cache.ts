/**
 * A persistent cache of a test file's own: Binaryen loaded, KILN_CACHE=1 and KILN_CACHE_DIR set
 * to a fresh directory for the file's tests (restored, and the directory removed, after them),
 * and the `kiln:` warnings a test collects once it spies on them.
 */
import { afterAll, afterEach, beforeAll, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadBinaryen } from '../../src/index.ts';

export function useTempCache(prefix: string): { dir: string; warnings: () => string[]; warnSpy: () => void } {
  const dir = join(mkdtempSync(join(tmpdir(), prefix)), 'cache');
  const saved = { cache: process.env.KILN_CACHE, dir: process.env.KILN_CACHE_DIR };
  let warnings: string[] = [];
  beforeAll(async () => {
    await loadBinaryen();
    // From Kiln's sources the cache is off unless asked for.
    process.env.KILN_CACHE = '1';
    process.env.KILN_CACHE_DIR = dir;
  });
  afterAll(() => {
    process.env.KILN_CACHE = saved.cache;
    process.env.KILN_CACHE_DIR = saved.dir;
    if (saved.cache === undefined) delete process.env.KILN_CACHE;
    if (saved.dir === undefined) delete process.env.KILN_CACHE_DIR;
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    warnings = [];
  });
  return {
    dir,
    warnings: () => warnings,
    warnSpy: () => void jest.spyOn(console, 'warn').mockImplementation((m: unknown) => void warnings.push(String(m))),
  };
}
