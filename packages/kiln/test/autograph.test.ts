/**
 * @file AutoGraph end to end: fixtures loaded through `node --import kiln-jit/autograph` in a
 * child process (TypeScript through tsx, plain JS), and bundled by esbuild with the plugin.
 * Values are checked against plain-number references computed here, not against Kiln itself.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { autograph } from '../src/autograph/esbuild.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixture = (name: string): string => join(here, 'autograph', name);
const binaryen = pathToFileURL(createRequire(join(here, '../../codegen-wasm/package.json')).resolve('binaryen')).href;

/** Runs `file` with the AutoGraph hook (kiln-jit from source needs tsx; binaryen is loaded before it, see TOOLCHAIN). */
function runNode(file: string, hook = true): unknown {
  const args = ['--conditions=kiln-source', `--import=${binaryen}`, '--import=tsx/esm'];
  if (hook) args.push('--import=kiln-jit/autograph');
  const out = execFileSync(process.execPath, [...args, file], { cwd: here, encoding: 'utf8', stdio: 'pipe' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

// Plain-number references for solver.ts.
const refBranch = (x: number[]): number[] =>
  x.reduce((a, b) => a + b) > 0 ? x.map((v) => 2 * v) : x.map((v) => 1 - v);
function refHalve(r: number[], tol: number): number[][] {
  let steps = 0;
  const err = (): number => Math.max(...r.map(Math.abs));
  while (err() > tol) [r, steps] = [r.map((v) => v * 0.5), steps + 1];
  return [r, [steps], [err()]];
}
function refRepeat(y: number[], n: number): number[] {
  for (let i = 0; i < n; i++) y = y.map((v) => 0.5 * v + 1);
  return y;
}
const REFERENCE = {
  branch: [
    [1, 2, -0.5],
    [-1, -2, 0.5],
  ].map((x) => refBranch(x)),
  method: [
    [1, 2, -0.5],
    [-1, -2, 0.5],
  ].map((x) => refBranch(x)),
  halve: [
    [8, -3],
    [0.25, 0.1],
    [100, 1],
  ].map((x) => refHalve(x, 0.5)),
  repeat: [0, 3, 7].map((n) => refRepeat([4, -2], n)),
};

type SolverOut = Record<string, { eager: unknown; traced: unknown; tracingCount: number }>;

function expectSolver(out: SolverOut): void {
  for (const [name, want] of Object.entries(REFERENCE)) {
    expect([name, out[name]!.tracingCount]).toEqual([name, 1]);
    const close = (got: unknown, ref: unknown): void => {
      if (Array.isArray(ref)) ref.forEach((r, i) => close((got as unknown[])[i], r));
      else expect(got as number).toBeCloseTo(ref as number, 5);
    };
    close(out[name]!.traced, want);
    close(out[name]!.eager, want);
  }
}

function markedLines(file: string): Record<string, number> {
  const lines: Record<string, number> = {};
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /\/\/ <- (\w+)/.exec(text);
      if (m) lines[m[1]!] = i + 1;
    });
  return lines;
}

describe('AutoGraph through the Node hook', () => {
  it('TypeScript (through tsx): if/else on x.sum() > 0 (in a function and a @trace() method), while (err > tol), for with a tensor n trace once and match eager on every path', () => {
    expectSolver(runNode(fixture('solver.ts')) as SolverOut);
  });

  it('without the hook the same module is the tracer error at the `if` line', () => {
    const lines = readFileSync(fixture('solver.ts'), 'utf8').split('\n');
    const line = lines.findIndex((l) => l.includes('if (x.sum() > 0)')) + 1;
    expect(() => runNode(fixture('solver.ts'), false)).toThrow(
      new RegExp(`KilnConcretizationError[\\s\\S]*solver\\.ts:${line}:`),
    );
  });

  it('TypeScript: an error inside a converted branch names the user line and column (source maps composed with tsx)', () => {
    const file = fixture('shape-error.ts');
    const line = markedLines(file).shape!;
    const column = readFileSync(file, 'utf8').split('\n')[line - 1]!.indexOf('add(') + 1;
    expect(runNode(file)).toEqual({ error: 'KilnShapeError', location: { file, line, column } });
  });

  it('plain JS: return, break, continue, await and a property write in tensor control flow each fail at their line; JS conditions stay JS', () => {
    const file = fixture('unsupported.mjs');
    const out = runNode(file) as Record<string, { error: string; message: string; line: number }> & {
      plain: number[][];
    };
    const lines = markedLines(file);
    const constructs: Record<string, string> = {
      return: '`return`',
      break: '`break`',
      continue: '`continue`',
      await: '`await`',
      mutation: 'a write to an object property (mutation of an outer object)',
    };
    for (const [name, text] of Object.entries(constructs)) {
      expect([name, out[name]!.error, out[name]!.line]).toEqual([name, 'KilnAutoGraphError', lines[name]]);
      expect(out[name]!.message).toContain(`AutoGraph: ${text} inside`);
      expect(out[name]!.message).toContain(`unsupported.mjs:${lines[name]}:`);
    }
    // mode 0: 12 (acc), label none, no halvings; mode 3: 12 - 2 + 100; mode 8: 12 - 3.
    expect(out.plain).toEqual([
      [13, 14],
      [111, 112],
      [10, 11],
    ]);
  });
});

describe('AutoGraph esbuild plugin', () => {
  it('bundles the TypeScript fixture with the same transform, and the bundle runs to the same values', async () => {
    const result = await build({
      entryPoints: [fixture('solver.ts')],
      bundle: true,
      packages: 'external',
      format: 'esm',
      platform: 'node',
      write: false,
      plugins: [autograph()],
    });
    const code = result.outputFiles![0]!.text;
    expect(code).toContain('kiln-jit/autograph/runtime');
    for (const helper of ['if_', 'while_', 'gt', 'lt']) expect(code).toMatch(new RegExp(`\\.${helper}\\(`));
    // The bundle imports kiln-jit by name: write it where that resolves (the test folder).
    const out = join(here, 'autograph', `.bundle-${process.pid}.mjs`);
    writeFileSync(out, code);
    try {
      expectSolver(runNode(out, false) as SolverOut);
    } finally {
      rmSync(out, { force: true });
    }
  });
});
