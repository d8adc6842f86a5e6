import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { firstMismatch } from '../src/check.ts';
import { parseOptions } from '../src/options.ts';
import { skipReason } from '../src/suite.ts';

/**
 * The quick suite's correctness check, as CI runs it: every workload computes the same numbers
 * eagerly, traced on the interpreter, traced on Wasm (on each default thread count), in
 * TensorFlow.js (wasm and cpu) and in jax-js. It runs in its own process, as `pnpm bench:quick
 * --check`: numeric code runs several times slower inside jest's module sandbox, and the check
 * must stay quick.
 */
describe('pnpm bench --check --quick', () => {
  it('finds every workload agreeing across every mode', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const run = spawnSync(process.execPath, ['scripts/run-ts.mjs', 'benchmarks/src/cli.ts', '--check', '--quick'], {
      cwd: root,
      encoding: 'utf8',
    });
    const lines = run.stdout.trim().split('\n');
    const { workloads, modes } = parseOptions(['--check', '--quick']);
    const checked = modes.filter((m) => m !== 'eager');
    expect(checked).toEqual(expect.arrayContaining(['wasm', 'jax-js']));
    const expected = workloads.flatMap((w) => checked.map((m) => `${w.id} · ${m}`));
    // A mode a workload has no version for (a peer) is skipped, saying why.
    const skipped = (l: string) =>
      workloads.some((w) =>
        checked.some((m) => l.startsWith(`${w.id} · ${m} `) && l.endsWith(`skipped (${skipReason(w, m, false)})`)),
      );
    const problems = lines.filter((l) => !l.endsWith('agrees with eager') && !skipped(l));
    // stderr is shown only when something went wrong, to say why.
    expect({ problems, stderr: problems.length === 1 ? '' : run.stderr }).toEqual({
      problems: ['check passed: every workload agrees across modes'],
      stderr: '',
    });
    expect(lines.slice(0, -1).map((l) => l.split(/ {2,}/)[0])).toEqual(expected);
    // jax-js really ran the workloads the task names, rather than skipping them.
    for (const id of ['mlp-sgd', 'gelu', 'softmax', 'layernorm', 'matmul-256'])
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${id} · jax-js +agrees with eager$`)));
    expect(run.status).toBe(0);
  }, 300_000);
});

describe("the check's comparison", () => {
  const expected = Float32Array.from([1000, 1, -2, 0]);
  it('takes atol relative to the largest value of the reference', () => {
    expect(firstMismatch(Float32Array.from([1000, 1.015, -2, 0.015]), expected, { rtol: 0, atol: 2e-5 })).toBeNull();
    expect(firstMismatch(Float32Array.from([1000, 1, -2, 0.03]), expected, { rtol: 0, atol: 2e-5 })).toBe(
      'value 3: 0.029999999329447746 vs 0 (diff 3.00e-2)',
    );
  });
  it('reports a NaN and a length difference', () => {
    expect(firstMismatch(Float32Array.from([NaN, 1, -2, 0]), expected, { rtol: 1, atol: 1 })).toBe(
      'value 0: NaN vs 1000',
    );
    expect(firstMismatch(Float32Array.from([1]), expected, { rtol: 1, atol: 1 })).toBe('1 values vs 4');
  });
});
