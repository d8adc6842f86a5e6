/**
 * The differential fuzzer's fixed-seed batch: random programs agree eager vs traced on the
 * interpreter and on Wasm, passes on and off (see test/fuzz/check.ts for the tolerance policy).
 * `pnpm fuzz --count N --seed S` runs longer batches.
 */
import { describe, expect, it } from '@jest/globals';
import { fuzz } from './fuzz/fuzz.ts';
import { checkProgram, compareLeaf, INTERPRETER_TOLERANCE, WASM_TOLERANCE, type Mode } from './fuzz/check.ts';
import { formatProgram, type FuzzProgram } from './fuzz/program.ts';
import { generateProgram } from './fuzz/generate.ts';
import { shrinkProgram } from './fuzz/shrink.ts';
import { analyze } from './fuzz/evaluate.ts';
import { interpreterBackend, registerBackend, tensor, withGraph } from '../src/index.ts';

const SEED = 20_251_125;
const COUNT = 500;

describe('differential fuzzing', () => {
  it(`finds no mismatch in ${COUNT} programs from seed ${SEED}`, () => {
    const failures = fuzz({ seed: SEED, count: COUNT, shrinkMs: 30_000 });
    if (failures.length) throw new Error(failures.map((f) => `seed ${f.seed}:\n${f.report}`).join('\n\n'));
  }, 300_000);

  it('catches and shrinks a planted backend bug', () => {
    // The interpreter, but computing sigmoid where the graph says tanh.
    registerBackend({
      name: 'planted-bug',
      stages: [],
      compile: (g) =>
        interpreterBackend.compile(
          withGraph(g, { nodes: g.nodes.map((n) => (n.op === 'tanh' ? { ...n, op: 'sigmoid' } : n)) }),
        ),
    });
    const planted: Mode = {
      name: 'planted',
      options: { backend: 'planted-bug', passes: [] },
      tolerance: INTERPRETER_TOLERANCE,
    };
    const [failure] = fuzz({ seed: 1, count: 300, modes: [planted] });
    expect(failure).toBeDefined();
    expect(failure!.program.steps.map((s) => s.op)).toEqual(['tanh']);
    expect(failure!.report).toMatch(/= tanh %/);
  });

  it('makes a valid program from the simplest choices', () => {
    const p = generateProgram({ int: (min) => min });
    expect(analyze(p)).not.toBeNull();
    expect(checkProgram(p)).toBeNull();
  });

  it('shrinks to smaller valid programs', () => {
    const p: FuzzProgram = {
      inputs: [{ dtype: 'f32', shape: [2], data: [1, 2], captured: false }],
      steps: [
        { op: 'exp', args: [{ ref: 0 }], attrs: {} },
        { op: 'neg', args: [{ ref: 1 }], attrs: {} },
      ],
      outputs: [2],
      grad: null,
    };
    const smaller = [...shrinkProgram(p)];
    // Return exp's value instead; make exp's value an input of neg; ...; then smaller inputs.
    expect(smaller.slice(0, 2).map((s) => s.steps.map((step) => step.op))).toEqual([['exp'], ['neg']]);
    expect(smaller.at(-1)!.inputs[0]!.data).toEqual([1, 1]);
    expect(smaller.every((s) => analyze(s) !== null)).toBe(true);
    expect(formatProgram(smaller[1]!)).toContain(
      "const x0 = k.tensor([2.7182817459106445, 7.389056205749512], [2], 'f32');",
    );
  });

  it('skips elements whose NaN/Inf status moves under perturbation, and compares the rest', () => {
    const eager = tensor([Infinity, 1, NaN]);
    const moved = tensor([5, 1, NaN]);
    expect(compareLeaf(tensor([-1, 1, NaN]), eager, [moved], WASM_TOLERANCE)).toBeNull();
    expect(compareLeaf(tensor([Infinity, 1.1, NaN]), eager, [moved], WASM_TOLERANCE)).toContain('element 1');
    expect(compareLeaf(tensor([Infinity, 1, 0]), eager, [moved], WASM_TOLERANCE)).toContain('element 2');
  });
});
