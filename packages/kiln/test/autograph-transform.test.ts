/**
 * @file The AutoGraph source transform on its own: which functions it converts, that it keeps
 * every line where it was, and which `@trace()` methods it finds in TypeScript source.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { autographTransform, decoratedMethodNames } from '../src/autograph/transform.ts';

const lineCount = (s: string): number => s.split('\n').length;

describe('the runtime helpers', () => {
  it('act as JS on JS values and as ops on tensors', async () => {
    const ag = await import('../src/autograph/runtime.ts');
    const { scalar, tensor } = await import('../src/index.ts');
    expect([ag.add(2, 3), ag.add('a', 1), ag.lt(1, 2), ag.not(0), ag.and(0, () => 1), ag.or(0, () => 'x')]).toEqual([
      5,
      'a1',
      true,
      true,
      0,
      'x',
    ]);
    const t = tensor([1, 2]);
    // A string makes `+` concatenation, as JS does ('loss ' + t), never an add op.
    expect(ag.add('t = ', scalar(3))).toBe('t = 3');
    expect(Array.from((ag.add(t, 1) as typeof t).dataSync())).toEqual([2, 3]);
    expect(Array.from((ag.gt(t, 1.5) as typeof t).dataSync())).toEqual([0, 1]);
  });
});

describe('autographTransform', () => {
  it('converts traced functions only, and leaves other code as written', () => {
    const src = [
      "import { trace } from 'kiln-jit';",
      'const f = trace((x) => { if (x > 0) { x = x + 1; } return x; });',
      'function helper(a) { if (a > 0) a = a + 1; return a; }',
    ].join('\n');
    const out = autographTransform(src, { file: 'm.mjs' }).code.split('\n');
    expect(out[0]).toBe(
      'import * as __kilnAutograph from "kiln-jit/autograph/runtime";' + "import { trace } from 'kiln-jit';",
    );
    expect(out[1]).toContain('__kilnAutograph.if_(__kilnAutograph.gt(x, 0), (x) => {');
    expect(out[1]).toContain('x = __kilnAutograph.add(x, 1)');
    expect(out[2]).toBe('function helper(a) { if (a > 0) a = a + 1; return a; }');
  });

  it("converts functions traced by name and ones marked 'use autograph'", () => {
    const src =
      "function g(x) { return x ? 1 : 2; }\nconst t = trace(g);\nfunction h(y) { 'use autograph'; return !y; }";
    const out = autographTransform(src).code;
    expect(out).toContain('__kilnAutograph.ifExp(x,');
    expect(out).toContain('__kilnAutograph.not(y)');
  });

  it('leaves a module with nothing to convert unchanged', () => {
    const src = 'export const f = (x) => (x > 0 ? x : -x);\n';
    expect(autographTransform(src)).toEqual({ code: src, changed: false });
  });

  it('keeps every line of the fixtures where it was', () => {
    const file = new URL('./autograph/unsupported.mjs', import.meta.url);
    const src = readFileSync(file, 'utf8');
    const out = autographTransform(src, { file: 'unsupported.mjs' });
    expect(out.changed).toBe(true);
    expect(lineCount(out.code)).toBe(lineCount(src));
    // A marked line still holds its construct after the rewrite.
    const lines = out.code.split('\n');
    src.split('\n').forEach((text, i) => {
      const m = /^\s*(return|break|continue)\b/.exec(text);
      if (m && text.includes('// <-')) expect(lines[i]).toContain(m[1]!);
    });
  });

  it('finds methods decorated with @trace(...) in TypeScript source', () => {
    const ts = [
      'class M {',
      '  @trace({ inputSignature: [spec([2], "f32")] })',
      '  step(x: Tensor): Tensor { return x; }',
      '  @k.trace() private async run<T>(x: T) { return x; }',
      '  plain() {}',
      '}',
    ].join('\n');
    expect([...decoratedMethodNames(ts)].sort()).toEqual(['run', 'step']);
  });
});
