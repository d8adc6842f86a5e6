import { describe, expect, it } from '@jest/globals';
import { DEFAULT_PASSES } from '../src/index.ts';
import { PROGRAMS } from './support/programs.ts';
import { runProgram } from './support/run-program.ts';
import { expectTreeClose, TRACE_TOLERANCE } from './support/compare.ts';

/** All passes, each pass alone, and none: every configuration must give eager's results. */
const PASS_CONFIGS: [string, readonly string[]][] = [
  ['all passes', DEFAULT_PASSES],
  ...DEFAULT_PASSES.map((p): [string, string[]] => [`only ${p}`, [p]]),
  ['no passes', []],
];

describe.each(PASS_CONFIGS)('traced on the interpreter with %s equals eager (1e-5 relative)', (_label, passes) => {
  it.each(PROGRAMS.map((p) => [p.name, p] as const))('%s', (_name, program) => {
    const eager = runProgram(program, null);
    const traced = runProgram(program, { backend: 'interpreter', passes });
    expectTreeClose(traced.outputs, eager.outputs, TRACE_TOLERANCE, 'outputs');
    expectTreeClose(traced.variables, eager.variables, TRACE_TOLERANCE, 'variables');
    expect(traced.tracingCount).toBe(1);
  });
});
