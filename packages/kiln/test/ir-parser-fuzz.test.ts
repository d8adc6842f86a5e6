/**
 * The IR parser, fuzzed: printed IR of the catalogue programs, mutated at random, must either
 * parse or fail with a KilnParseError; what parses must verify or fail with a KilnVerifyError;
 * what verifies must print and parse back to the same text. Never a TypeError, RangeError, ...
 * IR_FUZZ_SEED and IR_FUZZ_RUNS (default 8 and 4000) set the batch for a longer run.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { KilnParseError, KilnVerifyError, parseGraph, printGraph, trace, verifyGraph } from '../src/index.ts';
import { PROGRAMS } from '../../tracer/test/support/programs.ts';
import { mutatedIr, mutate } from './fuzz/mutate-ir.ts';

/** Each catalogue program's IR as traced, and after every pass (fused bodies, plan notes), some with locations. */
function printedPrograms(): string[] {
  return PROGRAMS.flatMap((program, i) => {
    const run = program.setup();
    const traced = trace(run.fn, { name: 'program', backend: 'interpreter' });
    const stages = traced.stages(...run.args);
    return [printGraph(stages[0]!.graph, { loc: i % 7 === 0 }), printGraph(stages.at(-1)!.graph)];
  });
}

/** What happens to one text: which error, or 'ok' after the round trip. */
function outcome(text: string): string {
  let graph;
  try {
    graph = parseGraph(text);
  } catch (e) {
    if (e instanceof KilnParseError) return 'parse error';
    throw e;
  }
  try {
    verifyGraph(graph);
  } catch (e) {
    if (e instanceof KilnVerifyError) return 'verify error';
    throw e;
  }
  const printed = printGraph(graph);
  expect(printGraph(parseGraph(printed))).toBe(printed);
  return 'ok';
}

describe('the IR parser under mutated input', () => {
  const texts = printedPrograms();

  it('parses every unmutated text', () => {
    for (const text of texts) expect(outcome(text)).toBe('ok');
  });

  it('fails only with KilnParseError or KilnVerifyError', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(mutatedIr(texts), ({ text }) => {
        const o = outcome(text);
        seen.set(o, (seen.get(o) ?? 0) + 1);
      }),
      { seed: Number(process.env.IR_FUZZ_SEED ?? 8), numRuns: Number(process.env.IR_FUZZ_RUNS ?? 4000) },
    );
    // The mutations reach every outcome, so all three paths are exercised.
    expect([...seen.keys()].sort()).toEqual(['ok', 'parse error', 'verify error']);
  });

  it('applies each mutation as described', () => {
    const text = 'graph @g(%x: f32[2]) {\n  %0: f32[2] = neg %x\n  return %0\n}';
    expect(mutate(text, { kind: 'deleteToken', index: 1 })).toBe(
      'graph g(%x: f32[2]) {\n  %0: f32[2] = neg %x\n  return %0\n}',
    );
    expect(mutate(text, { kind: 'swapLines', a: 1, b: 2 })).toBe(
      'graph @g(%x: f32[2]) {\n  return %0\n  %0: f32[2] = neg %x\n}',
    );
    expect(mutate(text, { kind: 'truncate', at: 5 })).toBe('graph');
  });
});
