/**
 * The simplification rules, one example each: a graph the rule alone rewrites, and the graph it
 * gives (after DCE). The table's type makes a rule without an example a compile error. Then the
 * rewrites the table must not make, and the pattern matcher itself.
 */
import { describe, expect, it } from '@jest/globals';
import {
  dce,
  parseGraph,
  patterns,
  printGraph,
  simplify,
  SIMPLIFY_RULES,
  verifyGraph,
  type Graph,
  type RewriteContext,
} from '../src/index.ts';

const { applyRules, constant, match, node, val } = patterns;

/** A graph @g with the given params, body lines and results. */
const graph = (params: string, body: string[], results: string): string =>
  [`graph @g(${params}) {`, ...body.map((l) => `  ${l}`), `  return ${results}`, '}', ''].join('\n');

type Example = [before: string, after: string];

const EXAMPLES: { readonly [K in keyof typeof SIMPLIFY_RULES]: Example } = {
  'x * 1 -> x': [
    graph('%x: f32[3]', ['%0: f32[] = constant 1', '%1: f32[3] = mul %x, %0'], '%1'),
    graph('%x: f32[3]', [], '%x'),
  ],
  '1 * x -> x': [
    graph('%x: i32[3]', ['%0: i32[] = constant 1', '%1: i32[3] = mul %0, %x'], '%1'),
    graph('%x: i32[3]', [], '%x'),
  ],
  'x * -1 -> -x': [
    graph('%x: f32[3]', ['%0: f32[] = constant -1', '%1: f32[3] = mul %x, %0'], '%1'),
    graph('%x: f32[3]', ['%0: f32[3] = neg %x'], '%0'),
  ],
  'x + -0 -> x (x + 0 in i32)': [
    graph('%x: f32[3]', ['%0: f32[] = constant -0', '%1: f32[3] = add %x, %0'], '%1'),
    graph('%x: f32[3]', [], '%x'),
  ],
  '-0 + x -> x (0 + x in i32)': [
    graph('%x: i32[3]', ['%0: i32[] = constant 0', '%1: i32[3] = add %0, %x'], '%1'),
    graph('%x: i32[3]', [], '%x'),
  ],
  'x + -y -> x - y': [
    graph('%x: f32[3], %y: f32[3]', ['%0: f32[3] = neg %y', '%1: f32[3] = add %x, %0'], '%1'),
    graph('%x: f32[3], %y: f32[3]', ['%0: f32[3] = sub %x, %y'], '%0'),
  ],
  'x - 0 -> x': [
    graph('%x: f32[3]', ['%0: f32[] = constant 0', '%1: f32[3] = sub %x, %0'], '%1'),
    graph('%x: f32[3]', [], '%x'),
  ],
  'x - -y -> x + y': [
    graph('%x: f32[3], %y: f32[]', ['%0: f32[] = neg %y', '%1: f32[3] = sub %x, %0'], '%1'),
    graph('%x: f32[3], %y: f32[]', ['%0: f32[3] = add %x, %y'], '%0'),
  ],
  'x / 1 -> x': [
    graph('%x: f32[3]', ['%0: f32[] = constant 1', '%1: f32[3] = div %x, %0'], '%1'),
    graph('%x: f32[3]', [], '%x'),
  ],
  'x ^ 1 -> x': [
    graph('%x: f32[3]', ['%0: f32[] = constant 1', '%1: f32[3] = pow %x, %0'], '%1'),
    graph('%x: f32[3]', [], '%x'),
  ],
  'x ^ 2 -> square(x)': [
    graph('%x: f32[3]', ['%0: f32[] = constant 2', '%1: f32[3] = pow %x, %0'], '%1'),
    graph('%x: f32[3]', ['%0: f32[3] = square %x'], '%0'),
  ],
  '-(-x) -> x': [
    graph('%x: f32[3]', ['%0: f32[3] = neg %x', '%1: f32[3] = neg %0'], '%1'),
    graph('%x: f32[3]', [], '%x'),
  ],
  '!!x -> x': [
    graph('%x: bool[3]', ['%0: bool[3] = logicalNot %x', '%1: bool[3] = logicalNot %0'], '%1'),
    graph('%x: bool[3]', [], '%x'),
  ],
  'stopGradient(x) -> x': [graph('%x: f32[3]', ['%0: f32[3] = stopGradient %x'], '%0'), graph('%x: f32[3]', [], '%x')],
  'cast(x) to its own dtype -> x': [
    graph('%x: i32[3]', ['%0: i32[3] = cast[dtype=i32] %x'], '%0'),
    graph('%x: i32[3]', [], '%x'),
  ],
  'where(c, x, x) -> x': [
    graph('%c: bool[3], %x: f32[3]', ['%0: f32[3] = where %c, %x, %x'], '%0'),
    graph('%c: bool[3], %x: f32[3]', [], '%x'),
  ],
  'reshape(x) to its own shape -> x': [
    graph('%x: f32[2,3]', ['%0: f32[2,3] = reshape[shape=[2,3]] %x'], '%0'),
    graph('%x: f32[2,3]', [], '%x'),
  ],
  'reshape(reshape(x)) -> reshape(x)': [
    graph('%x: f32[2,3]', ['%0: f32[6] = reshape[shape=[6]] %x', '%1: f32[3,2] = reshape[shape=[3,2]] %0'], '%1'),
    graph('%x: f32[2,3]', ['%0: f32[3,2] = reshape[shape=[3,2]] %x'], '%0'),
  ],
  'reshape(reduce[keepDims](x)) -> reduce(x)': [
    graph(
      '%x: f32[4,3]',
      ['%0: f32[1,3] = max[axes=[0], keepDims=true] %x', '%1: f32[3] = reshape[shape=[3]] %0'],
      '%1',
    ),
    graph('%x: f32[4,3]', ['%0: f32[3] = max[axes=[0]] %x'], '%0'),
  ],
  'reshape(broadcastTo(one value)) -> broadcastTo(scalar)': [
    graph('%x: f32[1]', ['%0: f32[4] = broadcastTo[shape=[4]] %x', '%1: f32[2,2] = reshape[shape=[2,2]] %0'], '%1'),
    graph('%x: f32[1]', ['%0: f32[] = reshape[shape=[]] %x', '%1: f32[2,2] = broadcastTo[shape=[2,2]] %0'], '%1'),
  ],
  'transpose(x) by the identity -> x': [
    graph('%x: f32[2,3]', ['%0: f32[2,3] = transpose[perm=[0,1]] %x'], '%0'),
    graph('%x: f32[2,3]', [], '%x'),
  ],
  'transpose(transpose(x)) -> transpose(x) or x': [
    graph(
      '%x: f32[2,3,4]',
      ['%0: f32[3,2,4] = transpose[perm=[1,0,2]] %x', '%1: f32[4,2,3] = transpose[perm=[2,1,0]] %0'],
      '%1',
    ),
    graph('%x: f32[2,3,4]', ['%0: f32[4,2,3] = transpose[perm=[2,0,1]] %x'], '%0'),
  ],
  'broadcastTo(x) to its own shape -> x': [
    graph('%x: f32[2,3]', ['%0: f32[2,3] = broadcastTo[shape=[2,3]] %x'], '%0'),
    graph('%x: f32[2,3]', [], '%x'),
  ],
  'broadcastTo(1-element constant) -> broadcastTo(scalar)': [
    graph('', ['%0: f32[1,1] = constant [2.5]', '%1: f32[3,2] = broadcastTo[shape=[3,2]] %0'], '%1'),
    graph('', ['%0: f32[] = constant 2.5', '%1: f32[3,2] = broadcastTo[shape=[3,2]] %0'], '%1'),
  ],
  'slice of everything -> x': [
    graph('%x: f32[2,3]', ['%0: f32[2,3] = slice[begin=[0,0], size=[2,3]] %x'], '%0'),
    graph('%x: f32[2,3]', [], '%x'),
  ],
  'pad by nothing -> x': [
    graph('%x: f32[2]', ['%0: f32[2] = pad[paddings=[[0,0]], value=0] %x'], '%0'),
    graph('%x: f32[2]', [], '%x'),
  ],
  'op(broadcastTo(y), z) -> op(y, z)': [
    graph(
      '%y: f32[3], %z: f32[2,3]',
      ['%0: f32[2,3] = broadcastTo[shape=[2,3]] %y', '%1: f32[2,3] = mul %0, %z'],
      '%1',
    ),
    graph('%y: f32[3], %z: f32[2,3]', ['%0: f32[2,3] = mul %y, %z'], '%0'),
  ],
};

/** Parses, verifies, applies `rewrite`, runs DCE, verifies and prints. */
function rewritten(text: string, rewrite: (g: Graph) => Graph): string {
  const g = parseGraph(text);
  verifyGraph(g);
  const out = dce(rewrite(g));
  verifyGraph(out);
  return printGraph(out);
}

describe('each simplification rule, alone', () => {
  it.each(Object.entries(EXAMPLES))('%s', (name, [before, after]) => {
    const only = SIMPLIFY_RULES[name as keyof typeof SIMPLIFY_RULES];
    expect(rewritten(before, (g) => applyRules(g, [only]))).toBe(after);
    // The whole table gives the same here, and the example is not already simplified.
    expect(rewritten(before, simplify)).toBe(after);
    expect(after).not.toBe(before);
  });
});

describe('rewrites the table must not make', () => {
  const UNCHANGED: [why: string, text: string][] = [
    ['x + 0: -0 + 0 is +0', graph('%x: f32[3]', ['%0: f32[] = constant 0', '%1: f32[3] = add %x, %0'], '%1')],
    ['x * 0: inf * 0 is NaN', graph('%x: f32[3]', ['%0: f32[] = constant 0', '%1: f32[3] = mul %x, %0'], '%1')],
    ['x - x: inf - inf is NaN', graph('%x: f32[3]', ['%0: f32[3] = sub %x, %x'], '%0')],
    ['exp(log(x)): log(-1) is NaN', graph('%x: f32[3]', ['%0: f32[3] = log %x', '%1: f32[3] = exp %0'], '%1')],
    [
      'x * 1 where the 1 broadcasts x up: the result is larger than x',
      graph('%x: f32[3]', ['%0: f32[2,3] = constant [1,1,1,1,1,1]', '%1: f32[2,3] = mul %x, %0'], '%1'),
    ],
    [
      'neg(broadcastTo(y)): a unary op needs the copy for its shape',
      graph('%y: f32[3]', ['%0: f32[2,3] = broadcastTo[shape=[2,3]] %y', '%1: f32[2,3] = neg %0'], '%1'),
    ],
    [
      'where(c, x, y): two different values',
      graph('%c: bool[3], %x: f32[3], %y: f32[3]', ['%0: f32[3] = where %c, %x, %y'], '%0'),
    ],
  ];
  it.each(UNCHANGED)('%s', (_why, text) => {
    expect(rewritten(text, simplify)).toBe(rewritten(text, (g) => g));
  });
});

describe('the pattern matcher', () => {
  const g = parseGraph(
    graph(
      '%x: f32[3], %y: f32[3]',
      ['%0: f32[] = constant 1', '%1: f32[3] = mul %x, %0', '%2: f32[3] = add %1, %y', '%3: f32[3] = add %x, %x'],
      '%2, %3',
    ),
  );
  const defs = new Map(g.nodes.map((n) => [n.output, n]));
  const ctx: RewriteContext = {
    def: (v) => defs.get(v) ?? null,
    emit: () => {
      throw new Error('not used');
    },
  };
  const [, mulNode, addNode, doubled] = g.nodes;

  it('binds names along nested patterns', () => {
    const m = match(node('add', node('mul', val('a'), constant(1)), val('b')), addNode!, ctx);
    expect(m).toEqual({ a: g.params[0]!.value, b: g.params[1]!.value });
  });

  it('fails on another op, another constant, or another arity', () => {
    expect(match(node('sub', val('a'), val('b')), addNode!, ctx)).toBeNull();
    expect(match(node('mul', val('a'), constant(2)), mulNode!, ctx)).toBeNull();
    expect(match(node('mul', val('a')), mulNode!, ctx)).toBeNull();
  });

  it('requires a name used twice to bind one value', () => {
    expect(match(node('add', val('a'), val('a')), doubled!, ctx)).toEqual({ a: g.params[0]!.value });
    expect(match(node('add', val('a'), val('a')), addNode!, ctx)).toBeNull();
  });
});
