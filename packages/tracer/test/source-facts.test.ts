/**
 * The source scan that spares a process's first trace a cold acorn parse: where it answers, it
 * must say what acorn says; where the text has anything acorn might find, it must not answer.
 */
import { describe, expect, it } from '@jest/globals';
import { factsWithoutParsing, inspectSource, parsedFacts } from '../src/source-check.ts';

/** Sources the scan reads: plain names, no condition, no console, no `this`. */
const PLAIN = [
  '(x, labels) => { const [loss, grads] = valueAndGrad((ls) => lossOf(ls, x, labels))(layers); return loss; }',
  'x => mul(x, 2)',
  'async x => x',
  'async (a, b) => add(a, b)',
  '() => zeros([3])',
  'function step(x, y) { return add(matmul(x, w), y); }',
  'function (a) { return a; }',
  'function* gen(a, b) { yield a; }',
  'async function named($a, _b, c1,) { return c1; }',
  'step(x, y) { return mul(x, y); }',
  '*items(a) { yield a; }',
  '#hidden(p) { return p; }',
  'function f(a) { /* a comment */ return a; }',
  "(x) => mul(x, 0.5 /* 'quoted' */)",
  '(x) => {\n  // a line comment\n  return x;\n}',
];

/** Sources that must go to acorn, each for its own reason. */
const NEEDS_ACORN = [
  '(x) => { if (x) return x; return neg(x); }',
  '(x) => (x ? a : b)',
  '(x) => !x',
  '(a, b) => a && b',
  '(a, b) => a || b',
  '(x) => { while (x) {} }',
  '(x) => { for (;;) {} }',
  '(x) => { do {} while (x); }',
  '(x) => { console.log(x); return x; }',
  'function f(x) { return this.w; }',
  '(x) => x?.y',
  '(x) => a ?? x',
  '(x = 1) => x',
  '({ a, b }) => a',
  '([a]) => a',
  '(...xs) => xs',
  '(a, ...rest) => a',
  'get value() { return 1; }',
  'static m(x) { return x; }',
  'function () { [native code] }',
  '(x) => { /* if the comment says so */ return x; }',
  '(x) => x | 0',
];

describe('reading a traced function source without acorn', () => {
  it.each(PLAIN)('agrees with acorn on %s', (source) => {
    const quick = factsWithoutParsing(source);
    expect(quick).not.toBeNull();
    expect(quick).toEqual(parsedFacts(source));
  });

  it.each(NEEDS_ACORN)('leaves %s to acorn', (source) => {
    expect(factsWithoutParsing(source)).toBeNull();
  });

  it('inspectSource gives acorn facts where conditions, console calls or this are present', () => {
    const tested = (x: unknown) => (x ? 1 : 2);
    expect(inspectSource(tested).tensorTests).toEqual([expect.objectContaining({ construct: '?:', param: 'x' })]);
    const logs = (x: unknown) => {
      console.log(x);
      return x;
    };
    expect(inspectSource(logs).consoleCalls).toEqual([expect.objectContaining({ method: 'log' })]);
    const bound = function (this: unknown) {
      return this;
    }.bind(null);
    expect(inspectSource(bound).usesThis).toBe(true);
  });

  it('inspectSource names the parameters of a plain function as acorn does', () => {
    const plain = (weights: number, labels: number) => weights + labels;
    const source = Function.prototype.toString.call(plain);
    expect(inspectSource(plain)).toEqual(parsedFacts(source));
    expect(inspectSource(plain).paramNames).toEqual(['weights', 'labels']);
  });
});
