/**
 * @file Region ops in the IR: how traced cond/while/scan print (golden text), that the text parses
 * back to the same graph, what the verifier rejects, and how each pass treats regions (DCE and
 * constant folding inside them, dead captures dropped, fusion inside bodies, no CSE across a
 * region boundary, loop outputs planned into buffers of their own).
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '@kiln-jit/core';
import {
  trace,
  parseGraph,
  printGraph,
  verifyGraph,
  constantFold,
  cse,
  dce,
  fuse,
  planMemory,
  memoryPlanOf,
  interpretGraph,
  defaultMemoryPolicy,
  KilnVerifyError,
  type Graph,
} from '../src/index.ts';

const ir = (lines: string[]): string => lines.join('\n') + '\n';
/** Every op of a graph, its fused bodies and regions included. */
const opsIn = (g: Graph): string[] =>
  g.nodes.flatMap((n) => [n.op, ...(n.body ? opsIn(n.body) : []), ...(n.regions ?? []).flatMap(opsIn)]);
const traced = (fn: (...a: k.Tensor[]) => unknown, ...args: k.Tensor[]): string =>
  trace(fn, { backend: 'interpreter', passes: [] }).ir(...args, { stage: 'traced' });

describe('printed region ops', () => {
  it('cond prints both branches with the captures as params', () => {
    const text = traced(
      function pick(x: k.Tensor) {
        return k.cond(
          k.greater(k.sum(x), 0),
          () => k.mul(x, 2),
          () => k.neg(x),
        );
      },
      k.tensor([1, 2]),
    );
    expect(text).toBe(
      ir([
        'graph @pick(%x: f32[2]) {',
        '  %0: f32[] = sum[axes=[0]] %x',
        '  %1: f32[] = constant 0',
        '  %2: bool[] = greater %0, %1',
        '  %3: f32[2] = cond %2, %x {',
        '    then(%c0: f32[2]) {',
        '      %t0: f32[] = constant 2',
        '      %t1: f32[2] = mul %c0, %t0',
        '      yield %t1',
        '    }',
        '    else(%c0: f32[2]) {',
        '      %t0: f32[2] = neg %c0',
        '      yield %t0',
        '    }',
        '  }',
        '  return %3',
        '}',
      ]),
    );
  });

  it('while prints its state, captures, test and body; several outputs share one line', () => {
    const text = traced(
      function grow(x: k.Tensor, limit: k.Tensor) {
        return k.whileLoop(
          ([v]: k.Tensor[]) => k.less(k.sum(v), limit),
          ([v, n]: k.Tensor[]) => [k.mul(v, 2), k.add(n, 1)],
          [x, k.scalar(0, 'i32')],
        );
      },
      k.tensor([1, 2]),
      k.scalar(10),
    );
    expect(text).toBe(
      ir([
        'graph @grow(%x: f32[2], %limit: f32[]) {',
        '  %0: i32[] = constant 0',
        '  %1: f32[2], %2: i32[] = while[carried=2] %x, %0, %limit {',
        '    cond(%s0: f32[2], %s1: i32[], %c0: f32[]) {',
        '      %t0: f32[] = sum[axes=[0]] %s0',
        '      %t1: bool[] = less %t0, %c0',
        '      yield %t1',
        '    }',
        '    body(%s0: f32[2], %s1: i32[], %c0: f32[]) {',
        '      %t0: f32[] = constant 2',
        '      %t1: f32[2] = mul %s0, %t0',
        '      %t2: i32[] = constant 1',
        '      %t3: i32[] = add %s1, %t2',
        '      yield %t1, %t3',
        '    }',
        '  }',
        '  return %1, %2',
        '}',
      ]),
    );
  });

  it('scan prints carries, slices and captures; nested regions go one level deeper', () => {
    const text = traced(
      function walk(xs: k.Tensor, w: k.Tensor) {
        return k.scan(
          (c: k.Tensor, x: k.Tensor) => {
            const n = k.cond(
              k.greater(k.sum(x), 0),
              () => k.add(c, x),
              () => k.mul(c, w),
            );
            return [n, k.sum(n)];
          },
          k.zeros([2]),
          xs,
          { reverse: true },
        );
      },
      k.ones([3, 2]),
      k.tensor([2, 3]),
    );
    expect(text).toBe(
      ir([
        'graph @walk(%xs: f32[3,2], %w: f32[2]) {',
        '  %0: f32[2] = constant [0, 0]',
        '  %1: f32[2], %2: f32[3] = scan[carried=1, sliced=1, length=3, reverse=true] %0, %xs, %w {',
        '    body(%s0: f32[2], %s1: f32[2], %c0: f32[2]) {',
        '      %t0: f32[] = sum[axes=[0]] %s1',
        '      %t1: f32[] = constant 0',
        '      %t2: bool[] = greater %t0, %t1',
        '      %t3: f32[2] = cond %t2, %s0, %s1, %c0 {',
        '        then(%c0: f32[2], %c1: f32[2], %c2: f32[2]) {',
        '          %tt0: f32[2] = add %c0, %c1',
        '          yield %tt0',
        '        }',
        '        else(%c0: f32[2], %c1: f32[2], %c2: f32[2]) {',
        '          %tt0: f32[2] = mul %c0, %c2',
        '          yield %tt0',
        '        }',
        '      }',
        '      %t4: f32[] = sum[axes=[0]] %t3',
        '      yield %t3, %t4',
        '    }',
        '  }',
        '  return %1, %2',
        '}',
      ]),
    );
  });

  it('print, parse and print again give the same text, and the parsed graph runs', () => {
    const fn = function loop(x: k.Tensor) {
      const [v] = k.whileLoop(
        ([a]: k.Tensor[]) => k.less(k.sum(a), 50),
        ([a, b]: k.Tensor[]) => [k.add(a, b), a],
        [x, x],
      );
      return k.scan((c: k.Tensor, y: k.Tensor) => [k.add(c, y), k.mul(c, y)], k.zeros([2]), k.stack([v, x]));
    };
    const x = k.tensor([1, 2]);
    const text = traced(fn, x);
    const parsed = parseGraph(text);
    verifyGraph(parsed);
    expect(printGraph(parsed)).toBe(text);
    const { results } = interpretGraph(parsed, [x]);
    const expected = fn(x) as k.Tensor[];
    results.forEach((r, i) => expect(r.toArray()).toEqual(expected[i]!.toArray()));
  });
});

describe('the verifier on region ops', () => {
  const good = ir([
    'graph @g(%p: bool[], %x: f32[2]) {',
    '  %0: f32[2] = cond %p, %x {',
    '    then(%c0: f32[2]) {',
    '      yield %c0',
    '    }',
    '    else(%c0: f32[2]) {',
    '      %t0: f32[2] = neg %c0',
    '      yield %t0',
    '    }',
    '  }',
    '  return %0',
    '}',
  ]);
  it('accepts a well-formed cond', () => {
    expect(() => verifyGraph(parseGraph(good))).not.toThrow();
  });
  it.each([
    [
      'a region param type that does not match the input',
      good.replace('else(%c0: f32[2])', 'else(%c0: f32[3])'),
      /region else takes \(f32\[3\]\) but the node passes \(f32\[2\]\)/,
    ],
    [
      'branches yielding different types',
      good.replace('%t0: f32[2] = neg %c0\n      yield %t0', '%t0: f32[] = sum[axes=[0]] %c0\n      yield %t0'),
      /region else yields \(f32\[\]\) but must yield \(f32\[2\]\)/,
    ],
    [
      'an output type the regions do not give',
      good.replace('%0: f32[2] = cond', '%0: i32[2] = cond'),
      /outputs \(i32\[2\]\) but its regions give \(f32\[2\]\)/,
    ],
    [
      'a region reading a value of the enclosing graph',
      good.replace('yield %c0', 'yield %x'),
      /value %x is used before it is defined/,
    ],
  ])('rejects %s', (_name, text, message) => {
    expect(() => verifyGraph(parseGraph(text))).toThrow(message);
  });
  it('rejects a while whose test is not a bool scalar (checked on a built graph)', () => {
    const text = ir([
      'graph @g(%x: f32[2]) {',
      '  %0: f32[2] = while[carried=1] %x {',
      '    cond(%s0: f32[2]) {',
      '      %t0: f32[] = sum[axes=[0]] %s0',
      '      yield %t0',
      '    }',
      '    body(%s0: f32[2]) {',
      '      yield %s0',
      '    }',
      '  }',
      '  return %0',
      '}',
    ]);
    expect(() => verifyGraph(parseGraph(text))).toThrow(KilnVerifyError);
    expect(() => verifyGraph(parseGraph(text))).toThrow(/region cond yields \(f32\[\]\) but must yield \(bool\[\]\)/);
  });
});

describe('passes inside regions', () => {
  const context = { memoryPolicy: defaultMemoryPolicy };
  const check = (g: Graph): Graph => (verifyGraph(g), g);

  it('DCE drops dead nodes inside a region and the captures only they read', () => {
    const g = parseGraph(
      ir([
        'graph @g(%p: bool[], %x: f32[2], %y: f32[2]) {',
        '  %0: f32[2] = cond %p, %x, %y {',
        '    then(%c0: f32[2], %c1: f32[2]) {',
        '      %t0: f32[2] = mul %c1, %c1',
        '      yield %c0',
        '    }',
        '    else(%c0: f32[2], %c1: f32[2]) {',
        '      %t0: f32[2] = neg %c0',
        '      yield %t0',
        '    }',
        '  }',
        '  return %0',
        '}',
      ]),
    );
    expect(printGraph(check(dce(g)))).toBe(
      ir([
        'graph @g(%p: bool[], %x: f32[2], %y: f32[2]) {',
        '  %0: f32[2] = cond %p, %x {',
        '    then(%c0: f32[2]) {',
        '      yield %c0',
        '    }',
        '    else(%c0: f32[2]) {',
        '      %t0: f32[2] = neg %c0',
        '      yield %t0',
        '    }',
        '  }',
        '  return %0',
        '}',
      ]),
    );
  });

  it('a loop nobody reads is dropped, unless a region prints', () => {
    const loop = (body: string) =>
      parseGraph(
        ir([
          'graph @g(%x: f32[2]) {',
          '  %0: f32[2] = while[carried=1] %x {',
          '    cond(%s0: f32[2]) {',
          '      %t0: f32[] = sum[axes=[0]] %s0',
          '      %t1: f32[] = constant 9',
          '      %t2: bool[] = less %t0, %t1',
          '      yield %t2',
          '    }',
          '    body(%s0: f32[2]) {',
          `      %t0: f32[2] = ${body} %s0`,
          '      yield %t0',
          '    }',
          '  }',
          '  return %x',
          '}',
        ]),
      );
    expect(check(dce(loop('neg'))).nodes).toHaveLength(0);
    expect(check(dce(loop('print[label="s"]'))).nodes).toHaveLength(1);
  });

  it('constant folding and fusion run inside bodies; CSE never merges across the boundary', () => {
    const text = traced(
      function body(xs: k.Tensor) {
        const outside = k.exp(k.sum(xs, 0));
        const [c] = k.scan(
          (h: k.Tensor, x: k.Tensor) => [k.mul(k.add(k.exp(k.sum(xs, 0)), k.mul(2, 3)), k.tanh(k.add(h, x))), null],
          k.zeros([2]),
          xs,
        );
        return k.add(c, outside);
      },
      k.ones([3, 2]),
    );
    const g = fuse(check(cse(check(constantFold(parseGraph(text))))));
    check(g);
    const scanNode = g.nodes.find((n) => n.op === 'scan')!;
    const body = scanNode.regions![0]!;
    // The folded 2*3 is one constant; the body's exp(sum(xs)) stayed in the body, not merged with the outer one.
    expect(printGraph(body)).toMatch(/constant 6/);
    expect(opsIn(body).filter((op) => op === 'exp')).toHaveLength(1);
    expect(opsIn(g).filter((op) => op === 'exp')).toHaveLength(2);
    expect(body.nodes.some((n) => n.op.startsWith('fused.'))).toBe(true);
    const xs = k.ones([3, 2]);
    const fn = trace(
      (a: k.Tensor) => {
        const outside = k.exp(k.sum(a, 0));
        const [c] = k.scan(
          (h: k.Tensor, x: k.Tensor) => [k.mul(k.add(k.exp(k.sum(a, 0)), k.mul(2, 3)), k.tanh(k.add(h, x))), null],
          k.zeros([2]),
          a,
        );
        return k.add(c, outside);
      },
      { backend: 'interpreter' },
    );
    expect((fn(xs) as k.Tensor).dataSync()).toEqual(interpretGraph(g, [xs]).results[0]!.dataSync());
  });

  it('constant folding replaces a cond whose predicate folds to a constant by the branch it takes', () => {
    const fn = function decided(x: k.Tensor) {
      return k.cond(
        k.greater(k.scalar(2), k.scalar(3)),
        () => k.mul(x, 2),
        () => k.sub(k.neg(x), 1),
      );
    };
    const x = k.tensor([1, 2]);
    const g = check(dce(check(constantFold(parseGraph(traced(fn, x))))));
    expect(printGraph(g)).toBe(
      ir([
        'graph @decided(%x: f32[2]) {',
        '  %0: f32[2] = neg %x',
        '  %1: f32[] = constant 1',
        '  %2: f32[2] = sub %0, %1',
        '  return %2',
        '}',
      ]),
    );
    expect(interpretGraph(g, [x]).results[0]!.toArray()).toEqual([-2, -3]);
  });

  it('planMemory gives every output of a loop a buffer of its own, apart from its inputs', () => {
    const text = traced(
      function fib(x: k.Tensor) {
        const [a, b] = k.whileLoop(
          ([u]: k.Tensor[]) => k.less(k.sum(u), 100),
          ([u, v]: k.Tensor[]) => [v, k.add(u, v)],
          [k.neg(x), k.exp(x)],
        );
        return k.add(a, b);
      },
      k.tensor([1, 2]),
    );
    const g = check(planMemory(parseGraph(text), context));
    const plan = memoryPlanOf(g)!;
    const loop = g.nodes.find((n) => n.op === 'while')!;
    const slots = [...loop.outputs!, ...loop.inputs].map((v) => plan.slots.get(v)!);
    const overlaps = (a: { offset: number; bytes: number }, b: { offset: number; bytes: number }) =>
      a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
    for (let i = 0; i < slots.length; i++)
      for (let j = i + 1; j < slots.length; j++) expect(overlaps(slots[i]!, slots[j]!)).toBe(false);
    // Each region is planned too.
    expect(memoryPlanOf(loop.regions![1]!)).toBeDefined();
  });
});
