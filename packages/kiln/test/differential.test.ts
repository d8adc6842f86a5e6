import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PASSES } from '../src/index.ts';
import { PROGRAMS } from '../../tracer/test/support/programs.ts';
import { runProgram } from '../../tracer/test/support/run-program.ts';
import { expectTreeClose, type Tolerance } from '../../tracer/test/support/compare.ts';

/**
 * The interpreter runs core's kernels, so it matches eager to rounding; Wasm computes in f32
 * with our own exp/log/tanh approximations and reassociated sums, so it gets a wider band.
 */
const BACKENDS: [string, Tolerance][] = [
  ['interpreter', { rtol: 1e-5, atol: 1e-6 }],
  ['wasm', { rtol: 2e-4, atol: 2e-5 }],
];

describe.each(BACKENDS)('traced on %s equals eager', (backend, tolerance) => {
  describe.each([
    ['all passes', DEFAULT_PASSES],
    ['no passes', []],
  ] as const)('with %s', (_label, passes) => {
    it.each(PROGRAMS.map((p) => [p.name, p] as const))('%s', (_name, program) => {
      const eager = runProgram(program, null);
      const traced = runProgram(program, { backend, passes });
      expectTreeClose(traced.outputs, eager.outputs, tolerance, 'outputs');
      expectTreeClose(traced.variables, eager.variables, tolerance, 'variables');
      expect(traced.tracingCount).toBe(1);
    });
  });
});
