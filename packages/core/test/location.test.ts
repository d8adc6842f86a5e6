import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { add, ones, parseFrame, registerInternalSource, userFrameOf, KilnShapeError } from '../src/index.ts';

describe('error locations', () => {
  it('point at the caller line', () => {
    let err: unknown;
    try {
      add(ones([2]), ones([3])); // line 12
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KilnShapeError);
    expect((err as KilnShapeError).location?.line).toBe(12);
    expect((err as KilnShapeError).location?.file).toMatch(/location\.test\.ts$/);
  });
});

describe('stack frames', () => {
  it('are read from V8 stacks and from Firefox/Safari ones (name@url:line:column)', () => {
    const v8 =
      'Error: x\n    at misuse (http://127.0.0.1:8000/main.js:1:2345)\n    at http://127.0.0.1:8000/main.js:3:9';
    const firefox = 'misuse@http://127.0.0.1:8000/main.js:1:2345\n@http://127.0.0.1:8000/main.js:3:9\n';
    for (const stack of [v8, firefox])
      expect(userFrameOf(stack)).toEqual({ file: 'http://127.0.0.1:8000/main.js', line: 1, column: 2345 });
  });

  it('turn file: URLs into paths and skip Node and node_modules frames', () => {
    const stack = [
      'Error: x',
      '    at f (node:internal/x:1:1)',
      '    at g (file:///srv/app/node_modules/lib/index.js:2:2)',
      '    at h (file:///srv/my%20app/main.js:7:3)',
    ].join('\n');
    expect(userFrameOf(stack)).toEqual({ file: '/srv/my app/main.js', line: 7, column: 3 });
    expect(parseFrame('at k (file:///srv/a.js:4:5)')).toEqual({ file: '/srv/a.js', line: 4, column: 5 });
  });
});

describe('the caller of a call made deep inside Kiln', () => {
  it('is found past the frames looked at first (12)', async () => {
    // A helper whose directory is registered as Kiln's: 20 of its frames sit between the op and this line.
    const dir = mkdtempSync(join(tmpdir(), 'kiln-deep-'));
    const file = join(dir, 'deep.mjs');
    writeFileSync(file, 'export const deep = (n, fn) => (n === 0 ? fn() : [0].map(() => deep(n - 1, fn))[0]);\n');
    try {
      const url = pathToFileURL(file).href;
      registerInternalSource(url);
      const { deep } = (await import(url)) as { deep: (n: number, fn: () => unknown) => unknown };
      let err: unknown;
      try {
        deep(20, () => add(ones([2]), ones([3]))); // line 55
      } catch (e) {
        err = e;
      }
      expect((err as KilnShapeError).location?.line).toBe(55);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
