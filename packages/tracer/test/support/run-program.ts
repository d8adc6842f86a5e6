/**
 * @file Runs a catalogue program eagerly or traced, collecting every step's output and the
 * final values of its variables, so two modes can be compared.
 */
import type { Tensor } from '@kiln-jit/core';
import { trace, type TraceOptions } from '../../src/index.ts';
import type { Program } from './programs.ts';

export interface ProgramOutcome {
  outputs: unknown[];
  variables: Tensor[];
  tracingCount: number;
}

/** Runs `program` eagerly (options null) or traced with `options`. */
export function runProgram(program: Program, options: TraceOptions | null): ProgramOutcome {
  const run = program.setup();
  const fn = options ? trace(run.fn, { name: 'program', ...options }) : run.fn;
  const outputs: unknown[] = [];
  for (let s = 0; s < (run.steps ?? 1); s++) outputs.push((fn as (...a: unknown[]) => unknown)(...run.args));
  return {
    outputs,
    variables: (run.variables ?? []).map((v) => v.value),
    tracingCount: options ? (fn as unknown as { tracingCount: number }).tracingCount : 0,
  };
}
