/**
 * When the pass manager runs the IR verifier: by default on the input and the final graph, and
 * then, when either that check fails or a pass throws, on each pass's output to name the pass
 * that broke the graph; after every pass with `verify: true` or KILN_VERIFY=each; never with false.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { KilnVerifyError, parseGraph, registerPass, runPipeline, type Graph } from '../src/index.ts';

const GOOD = 'graph @g(%x: f32[2,3]) {\n  %0: f32[2] = sum[axes=[1]] %x\n  return %0\n}';
// The sum's type is wrong: the verifier says so, nothing else would.
const BROKEN = 'graph @g(%x: f32[2,3]) {\n  %0: f32[3] = sum[axes=[1]] %x\n  return %0\n}';

registerPass('test-break', () => parseGraph(BROKEN));
registerPass('test-repair', () => parseGraph(GOOD));
registerPass('test-crash', () => {
  throw new Error('the pass fell over');
});
registerPass('test-keep', (g: Graph) => g);

function thrown(run: () => unknown): Error {
  try {
    run();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the pipeline to throw');
}

describe('IR verification in the pass manager', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.KILN_VERIFY;
    delete process.env.KILN_VERIFY;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.KILN_VERIFY;
    else process.env.KILN_VERIFY = saved;
  });

  it('by default, a broken final graph fails the pipeline, naming the pass that broke it', () => {
    const e = thrown(() => runPipeline(parseGraph(GOOD), ['test-keep', 'test-break', 'test-keep']));
    expect(e).toBeInstanceOf(KilnVerifyError);
    expect(e.message).toMatch(/has type f32\[3\] but its op gives f32\[2\] \(after pass 'test-break'\)/);
  });

  it('by default, a pass that throws on a broken graph blames the pass that broke it', () => {
    const e = thrown(() => runPipeline(parseGraph(GOOD), ['test-break', 'test-crash']));
    expect(e).toBeInstanceOf(KilnVerifyError);
    expect(e.message).toMatch(/after pass 'test-break'/);
  });

  it("by default, a pass that throws on a sound graph fails with the pass's own error", () => {
    const e = thrown(() => runPipeline(parseGraph(GOOD), ['test-keep', 'test-crash']));
    expect(e.message).toBe('the pass fell over');
  });

  it('by default, a broken input graph fails before any pass runs', () => {
    expect(() => runPipeline(parseGraph(BROKEN), ['test-crash'])).toThrow(KilnVerifyError);
  });

  it('by default, a graph broken and repaired by later passes goes through: only the ends are checked', () => {
    const stages = runPipeline(parseGraph(GOOD), ['test-break', 'test-repair']);
    expect(stages.map((s) => s.name)).toEqual(['traced', 'test-break', 'test-repair', 'optimized']);
  });

  it('verify: true and KILN_VERIFY=each check every pass, so the repaired graph is caught', () => {
    const run = () => runPipeline(parseGraph(GOOD), ['test-break', 'test-repair'], { verify: true });
    expect(thrown(run).message).toMatch(/after pass 'test-break'/);
    process.env.KILN_VERIFY = 'each';
    const e = thrown(() => runPipeline(parseGraph(GOOD), ['test-break', 'test-repair']));
    expect(e).toBeInstanceOf(KilnVerifyError);
    expect(e.message).toMatch(/after pass 'test-break'/);
  });

  it('verify: false checks nothing', () => {
    const stages = runPipeline(parseGraph(BROKEN), ['test-break'], { verify: false });
    expect(stages.at(-1)!.name).toBe('optimized');
  });
});
