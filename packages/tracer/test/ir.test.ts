import { describe, expect, it } from '@jest/globals';
import { posix } from 'node:path';
import * as k from '@kiln-jit/core';
import {
  trace,
  printGraph,
  parseGraph,
  verifyGraph,
  KilnParseError,
  KilnVerifyError,
  GraphBuilder,
  interpretGraph,
  formatLoc,
  type Graph,
} from '../src/index.ts';
import { PROGRAMS } from './support/programs.ts';

function stageGraph(program: (typeof PROGRAMS)[number], stage: string) {
  const run = program.setup();
  return trace(run.fn, { name: 'program', backend: 'interpreter' })
    .stages(...run.args)
    .find((s) => s.name === stage)!.graph;
}

describe.each(['traced', 'fused'])('printed IR at stage %s round-trips through the parser', (stage) => {
  it.each(PROGRAMS.map((p) => [p.name, p] as const))('%s', (_name, program) => {
    const graph = stageGraph(program, stage);
    const text = printGraph(graph);
    const parsed = parseGraph(text);
    verifyGraph(parsed);
    expect(printGraph(parsed)).toBe(text);
  });
});

describe('printed IR of small programs (golden)', () => {
  it('an MLP layer', () => {
    const w = k.variable(k.zeros([4, 3]), { name: 'w' });
    const layer = trace(
      function layer(x: k.Tensor) {
        return k.relu(k.add(k.matmul(x, w), 0.5));
      },
      { backend: 'interpreter' },
    );
    expect(layer.ir({ shape: [2, 4], dtype: 'f32' }, { stage: 'traced' })).toBe(
      `graph @layer(%x: f32[2,4], %w: f32[4,3] var) {
  %0: f32[2,3] = matmul %x, %w
  %1: f32[] = constant 0.5
  %2: f32[2,3] = add %0, %1
  %3: f32[2,3] = relu %2
  return %3
}
`,
    );
  });

  it('a reduction with attributes and an i32 input', () => {
    const f = trace(
      function pick(x: k.Tensor, i: k.Tensor) {
        return k.sum(k.gather(x, i, 1), -1, true);
      },
      { backend: 'interpreter' },
    );
    expect(f.ir({ shape: [3, 5], dtype: 'f32' }, { shape: [2], dtype: 'i32' }, { stage: 'traced' })).toBe(
      `graph @pick(%x: f32[3,5], %i: i32[2]) {
  %0: f32[3,2] = gather[axis=1] %x, %i
  %1: f32[3,1] = sum[axes=[1], keepDims=true] %0
  return %1
}
`,
    );
  });

  it('a variable update from an SGD step (grad watches an alias of its argument)', () => {
    const w = k.variable(k.ones([2]), { name: 'w' });
    const step = trace(
      function sgdStep(x: k.Tensor) {
        const g = k.grad((v: k.Tensor) => k.sum(k.mul(v, x)))(w.value);
        w.assign(k.sub(w.value, k.mul(g, 0.1)));
        return k.sum(w.value);
      },
      { backend: 'interpreter' },
    );
    expect(step.ir({ shape: [2] }, { stage: 'traced' })).toBe(
      `graph @sgdStep(%x: f32[2], %w: f32[2] var) {
  %0: f32[2] = reshape[shape=[2]] %w
  %1: f32[2] = mul %0, %x
  %2: f32[] = sum[axes=[0]] %1
  %3: f32[] = constant 1
  %4: f32[1] = reshape[shape=[1]] %3
  %5: f32[2] = broadcastTo[shape=[2]] %4
  %6: f32[2] = mul %5, %x
  %7: f32[] = constant 0.1
  %8: f32[2] = mul %6, %7
  %9: f32[2] = sub %w, %8
  %10: f32[] = sum[axes=[0]] %9
  return %10
  update %w <- %9
}
`,
    );
  });

  it('prints special floats, booleans and source locations', () => {
    const f = trace(
      function special(x: k.Tensor) {
        const y = k.where(k.tensor([true, false]), x, k.tensor([Infinity, NaN])); // @loc-line
        return k.maximum(y, -Infinity);
      },
      { backend: 'interpreter' },
    );
    const text = f.ir({ shape: [2] }, { stage: 'traced', loc: true });
    expect(text).toContain('%0: bool[2] = constant [true, false]');
    expect(text).toContain('%1: f32[2] = constant [inf, nan]');
    expect(text).toContain('%3: f32[] = constant -inf');
    expect(text).toMatch(/= where %0, %x, %1 {2}# packages\/tracer\/test\/ir\.test\.ts:\d+/);
    expect(printGraph(parseGraph(text))).toBe(f.ir({ shape: [2] }, { stage: 'traced' }));
  });
});

describe('malformed IR', () => {
  const cases: [string, string, number, number][] = [
    ['an unknown op', 'graph @g(%x: f32[2]) {\n  %0: f32[2] = frobnicate %x\n  return %0\n}', 2, 16],
    ['a use before definition', 'graph @g(%x: f32[2]) {\n  %0: f32[2] = neg %1\n  return %0\n}', 2, 20],
    ['a bad dtype', 'graph @g(%x: f64[2]) {\n  return %x\n}', 1, 14],
    ['a missing colon', 'graph @g(%x f32[2]) {\n  return %x\n}', 1, 13],
    ['trailing text', 'graph @g(%x: f32[2]) {\n  return %x\n}\nextra', 4, 1],
    ['a bad attribute', 'graph @g(%x: f32[2,2]) {\n  %0: f32[2] = sum[axis=1] %x\n  return %0\n}', 2, 16],
    ['a stray character', 'graph @g(%x: f32[2]) {\n  %0: f32[2] = neg %x ;\n  return %0\n}', 2, 23],
    ['a redefinition', 'graph @g(%x: f32[2]) {\n  %x: f32[2] = neg %x\n  return %x\n}', 2, 3],
  ];
  it.each(cases)('reports %s with line and column', (_what, text, line, column) => {
    let error: unknown;
    try {
      parseGraph(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KilnParseError);
    expect((error as KilnParseError).message).toContain(`line ${line}, column ${column}`);
    expect((error as KilnParseError).location).toEqual({ file: '<ir>', line, column });
  });
});

describe('the verifier', () => {
  it('rejects a node whose type disagrees with its shape rule', () => {
    const g = parseGraph('graph @g(%x: f32[2,3]) {\n  %0: f32[3] = sum[axes=[1]] %x\n  return %0\n}');
    expect(() => verifyGraph(g)).toThrow(KilnVerifyError);
    expect(() => verifyGraph(g)).toThrow('node 0 (sum) has type f32[3] but its op gives f32[2]');
  });

  it('rejects a value defined twice and a use before definition', () => {
    const b = new GraphBuilder('g');
    const x = b.addParam('x', 'arg', { shape: [2], dtype: 'f32' }).value;
    const y = b.addNode('neg', [x], {}, x.type);
    const built = b.build();
    const twice = { ...built, nodes: [built.nodes[0]!, built.nodes[0]!], results: [y] };
    expect(() => verifyGraph(twice)).toThrow('already defined');
    const early = { ...built, nodes: [{ ...built.nodes[0]!, inputs: [y] }], results: [y] };
    expect(() => verifyGraph(early)).toThrow('uses a value that is not defined before it');
  });

  it('rejects an update of a non-variable and a type-changing update', () => {
    expect(() =>
      verifyGraph(parseGraph('graph @g(%x: f32[2], %w: f32[3] var) {\n  return %x\n  update %w <- %x\n}')),
    ).toThrow('update of %w (f32[3]) has type f32[2]');
    expect(() => parseGraph('graph @g(%x: f32[2]) {\n  return %x\n  update %x <- %x\n}')).toThrow(
      "'%x' is not a var parameter",
    );
  });

  it('a parsed graph runs on the IR interpreter', () => {
    const g = parseGraph('graph @g(%x: f32[3]) {\n  %0: f32[] = constant 2\n  %1: f32[3] = mul %x, %0\n  return %1\n}');
    expect(interpretGraph(g, [k.tensor([1, 2, 3])]).results[0]!.dataSync()).toEqual(new Float32Array([2, 4, 6]));
  });
});

describe('printed locations', () => {
  it("print absolute paths relative to the base as node:path's posix relative does, URLs as they are", () => {
    const cases: [string, string][] = [
      ['/work/app', '/work/app/src/model.ts'],
      ['/work/app/', '/work/app/model.ts'],
      ['/work/app/tools', '/work/app/src/model.ts'],
      ['/work/app', '/elsewhere/model.ts'],
      ['/work/./app/../app', '/work/app/x/y.ts'],
      ['/', '/model.ts'],
    ];
    for (const [base, file] of cases)
      expect(formatLoc({ file, line: 3, column: 1 }, base)).toBe(`${posix.relative(base, file)}:3`);
    const url = 'http://127.0.0.1:8000/main.js';
    expect(formatLoc({ file: url, line: 1, column: 2 }, '/work/app')).toBe(`${url}:1`);
    // The default base is the working directory.
    expect(formatLoc({ file: `${process.cwd()}/a/b.ts`, line: 9, column: 1 })).toBe('a/b.ts:9');
  });
});

describe('locations of a traced gradient', () => {
  const at: Record<string, number> = {};
  /** `value`, noting the line that wrote this call as `name`'s (as stack traces give lines). */
  const mark = <T>(name: string, value: T): T => {
    at[name] = Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split('\n')[2]!)![1]);
    return value;
  };
  const nodeLines = (g: Graph): Map<string, Set<number>> => {
    const lines = new Map<string, Set<number>>();
    const walk = (graph: Graph): void => {
      for (const n of graph.nodes) {
        if (n.loc) lines.set(n.op, (lines.get(n.op) ?? new Set()).add(n.loc.line));
        if (n.body) walk(n.body);
        n.regions?.forEach(walk);
      }
    };
    walk(g);
    return lines;
  };

  it("name the loss's lines for forward ops, the gradient call's for backward ops, and a branch's for its own ops", () => {
    const branch = (t: k.Tensor) => mark('exp', k.exp(t));
    const loss = (y: k.Tensor) => {
      const t = mark('tanh', k.tanh(y));
      return k.sum(
        k.cond(
          k.greater(k.sum(t), 0),
          () => branch(t),
          () => k.neg(t),
        ),
      );
    };
    const f = trace((x: k.Tensor) => mark('grad', k.grad(loss)(x)), { backend: 'interpreter' });
    const lines = nodeLines(f.stages({ shape: [3] })[0]!.graph);
    expect(lines.get('tanh')).toEqual(new Set([at.tanh]));
    // exp runs in the forward branch and again in the branch's backward region: both name its line.
    expect(lines.get('exp')).toEqual(new Set([at.exp]));
    // The vjp of tanh (1 - t^2) is Kiln's code: its ops name the line that asked for the gradient.
    expect(lines.get('sub')).toEqual(new Set([at.grad]));
    expect(lines.get('mul')).toContain(at.grad);
  });
});
