import { describe, expect, it } from '@jest/globals';
import { PROGRAMS } from './support/programs.ts';
import { runProgram } from './support/run-program.ts';
import { expectTreeClose, TRACE_TOLERANCE } from './support/compare.ts';

describe('traced on the interpreter backend equals eager (1e-5 relative)', () => {
  it.each(PROGRAMS.map((p) => [p.name, p] as const))('%s', (_name, program) => {
    const eager = runProgram(program, null);
    const traced = runProgram(program, { backend: 'interpreter' });
    expectTreeClose(traced.outputs, eager.outputs, TRACE_TOLERANCE, 'outputs');
    expectTreeClose(traced.variables, eager.variables, TRACE_TOLERANCE, 'variables');
    expect(traced.tracingCount).toBe(1);
  });
});
