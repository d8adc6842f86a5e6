/**
 * @file The differential fuzzer: random programs (a fast-check arbitrary that shrinks by
 * structure) checked eager vs traced in every mode. Program i of a batch uses seed `seed + i`,
 * so `--seed S+i --count 1` replays it alone.
 */
import fc from 'fast-check';
import { generateProgram } from './generate.ts';
import { shrinkProgram } from './shrink.ts';
import { checkProgram, describeFailure, MODES, type Mismatch, type Mode } from './check.ts';
import type { FuzzProgram } from './program.ts';

const isProgram = (v: unknown): v is FuzzProgram =>
  typeof v === 'object' &&
  v !== null &&
  Array.isArray((v as FuzzProgram).steps) &&
  Array.isArray((v as FuzzProgram).inputs);

/** Random valid programs; shrinking proposes structurally smaller valid ones (shrink.ts). */
class ProgramArbitrary extends fc.Arbitrary<FuzzProgram> {
  generate(mrng: fc.Random): fc.Value<FuzzProgram> {
    return new fc.Value(generateProgram({ int: (min, max) => mrng.nextInt(min, max) }), undefined);
  }

  canShrinkWithoutContext(value: unknown): value is FuzzProgram {
    return isProgram(value);
  }

  shrink(value: FuzzProgram): fc.Stream<fc.Value<FuzzProgram>> {
    return new fc.Stream(shrinkProgram(value)).map((p) => new fc.Value(p, undefined));
  }
}

export const programs = (): fc.Arbitrary<FuzzProgram> => new ProgramArbitrary();

/** What fails the property: the backend and the kind, so that shrinking keeps to the same bug. */
const signature = (m: Mismatch): string => `${m.mode.split(',')[0]} ${m.kind}`;

export interface FuzzFailure {
  seed: number;
  /** The shrunk program. */
  program: FuzzProgram;
  mismatch: Mismatch;
  shrinks: number;
  report: string;
}

export interface FuzzOptions {
  seed: number;
  count: number;
  /** Called after each program with its index and failure, if any. */
  onProgram?: (index: number, failure: FuzzFailure | null) => void;
  /** Stop shrinking one failure after this long (default 2 minutes). */
  shrinkMs?: number;
  /** The traced modes compared with eager (default: all of MODES). */
  modes?: readonly Mode[];
}

/** Checks one program (seed `seed`), shrinking it if it fails. */
export function fuzzOne(seed: number, shrinkMs = 120_000, modes: readonly Mode[] = MODES): FuzzFailure | null {
  let target: string | null = null;
  let last: Mismatch | null = null;
  const property = fc.property(programs(), (p) => {
    const m = checkProgram(p, modes);
    if (!m || (target !== null && signature(m) !== target)) return true;
    target ??= signature(m);
    last = m;
    return false;
  });
  const details = fc.check(property, { seed, numRuns: 1, interruptAfterTimeLimit: shrinkMs });
  if (!details.failed || !details.counterexample) return null;
  const program = details.counterexample[0];
  // fast-check's last failing call was on the counterexample it reports.
  const mismatch = last!;
  return { seed, program, mismatch, shrinks: details.numShrinks, report: describeFailure(program, mismatch, modes) };
}

/** Checks `count` programs from `seed` on; returns the failures, each shrunk. */
export function fuzz(options: FuzzOptions): FuzzFailure[] {
  const failures: FuzzFailure[] = [];
  for (let i = 0; i < options.count; i++) {
    const failure = fuzzOne(options.seed + i, options.shrinkMs, options.modes);
    if (failure) failures.push(failure);
    options.onProgram?.(i, failure);
  }
  return failures;
}

/** The program `fuzzOne(seed)` starts from, unshrunk. */
export function sampleProgram(seed: number): FuzzProgram {
  return fc.sample(programs(), { seed, numRuns: 1 })[0]!;
}
