/**
 * Reading traced functions from source with ts-morph: which calls count, the names trace() will
 * give them, and their inputSignature; syntax errors reported at file:line:col.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSyntax, findTracedFunctions, UsageError } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'kiln-find-'));
let fileCount = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `source` to a fresh file and lists its traced functions as [name, kind, symbol, line, signature]. */
function listOf(source: string, ext = 'ts'): [string, string, string | null, number, string | null][] {
  const path = join(dir, `case${fileCount++}.${ext}`);
  writeFileSync(path, source);
  return findTracedFunctions(path).map((f) => [f.name, f.kind, f.symbol, f.line, f.inputSignature]);
}

describe('findTracedFunctions', () => {
  it('names a traced function as trace() will: the name option, else the function name, else fn', () => {
    expect(
      listOf(
        [
          "import { trace } from 'kiln-jit';",
          'function loss(x) { return x; }',
          'export const a = trace(function inner(x) { return x; });',
          'export const b = trace((x) => x);',
          "export const c = trace((x) => x, { name: 'named' });",
          'export const d = trace(loss);',
        ].join('\n'),
      ),
    ).toEqual([
      ['inner', 'function', 'const a', 3, null],
      ['fn', 'function', 'const b', 4, null],
      ['named', 'function', 'const c', 5, null],
      ['loss', 'function', 'const d', 6, null],
    ]);
  });

  it('finds @trace() methods at the line of the method name, with the name option if any', () => {
    expect(
      listOf(
        [
          "import { trace } from 'kiln-jit';",
          'class Model {',
          '  @trace()',
          '  forward(x) { return x; }',
          "  @trace({ name: 'train' })",
          '  step(x) { return x; }',
          '}',
          'const Anonymous = class {',
          '  @trace() run(x) { return x; }',
          '};',
        ].join('\n'),
      ),
    ).toEqual([
      ['forward', 'method', 'Model.forward', 4, null],
      ['train', 'method', 'Model.step', 6, null],
      ['run', 'method', '(class).run', 9, null],
    ]);
  });

  it('follows aliased and namespace imports, and ignores other trace functions', () => {
    expect(
      listOf(
        [
          "import { trace as tf } from 'kiln-jit';",
          "import * as k from '@kiln-jit/tracer';",
          'console.trace("not this");',
          'const other = { trace: (f) => f };',
          'other.trace((x) => x);',
          'export const a = tf(function a(x) { return x; });',
          'export const b = k.trace(function b(x) { return x; });',
          'export const decorator = k.trace({ name: "not a function" });',
        ].join('\n'),
      ),
    ).toEqual([
      ['a', 'function', 'const a', 6, null],
      ['b', 'function', 'const b', 7, null],
    ]);
  });

  it('spells an inputSignature as types, following consts; anything else as its source text', () => {
    expect(
      listOf(
        [
          "import { trace } from 'kiln-jit';",
          'const BATCH = 32;',
          "const SIGNATURE = [{ shape: [BATCH, 784] }, { shape: [BATCH], dtype: 'i32' }];",
          'export const a = trace(function a(x, y) { return x; }, { inputSignature: SIGNATURE });',
          "const options = { inputSignature: [{ shape: [], dtype: 'bool' }] };",
          'export const b = trace(function b(x) { return x; }, options);',
          'export const c = trace(function c(x) { return x; }, { inputSignature: makeSpecs(3) });',
        ].join('\n'),
      ),
    ).toEqual([
      ['a', 'function', 'const a', 4, 'f32[32,784] i32[32]'],
      ['b', 'function', 'const b', 6, 'bool[]'],
      ['c', 'function', 'const c', 7, 'makeSpecs(3)'],
    ]);
  });

  it('reads JavaScript files too', () => {
    expect(
      listOf("import { trace } from 'kiln-jit';\nexport const f = trace(function f(x) { return x; });\n", 'js'),
    ).toEqual([['f', 'function', 'const f', 2, null]]);
  });
});

describe('checkSyntax', () => {
  it('accepts a valid file', () => {
    const path = join(dir, 'valid.ts');
    writeFileSync(path, 'export const x: number = 1;\n');
    expect(() => checkSyntax(path)).not.toThrow();
  });

  it('reports the first syntax error as file:line:col', () => {
    const path = join(dir, 'invalid.ts');
    writeFileSync(path, 'const a = 1;\nconst b = (a;\n');
    expect(() => checkSyntax(path)).toThrow(UsageError);
    expect(() => checkSyntax(path)).toThrow(`${path}:2:13: syntax error: ')' expected.`);
  });
});
