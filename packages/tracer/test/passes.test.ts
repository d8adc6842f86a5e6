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
  simplify,
  fuse,
  planMemory,
  kernelCount,
  memoryPlanOf,
  runPipeline,
  DEFAULT_PASSES,
  defaultMemoryPolicy,
  sameShapeInputs,
  type Graph,
  type Pass,
  type PassContext,
} from '../src/index.ts';
import { PROGRAMS, geluChain } from './support/programs.ts';

/** What the passes know of the target in these tests: the default backend. */
const context: PassContext = { memoryPolicy: defaultMemoryPolicy };

/** Parses IR written in a test, runs one pass, verifies and prints the result. */
function after(pass: Pass, text: string): string {
  const graph = parseGraph(text);
  verifyGraph(graph);
  const out = pass(graph, context);
  verifyGraph(out);
  return printGraph(out);
}

const ir = (lines: string[]): string => lines.join('\n') + '\n';

describe('constant folding', () => {
  it('evaluates constant subexpressions with the eager kernels', () => {
    expect(
      after(
        constantFold,
        ir([
          'graph @g(%x: f32[3]) {',
          '  %0: f32[] = constant 2',
          '  %1: f32[] = constant 3',
          '  %2: f32[] = mul %0, %1',
          '  %3: f32[] = sqrt %2',
          '  %4: f32[3] = add %x, %3',
          '  return %4',
          '}',
        ]),
      ),
    ).toBe(
      ir([
        'graph @g(%x: f32[3]) {',
        '  %0: f32[] = constant 2',
        '  %1: f32[] = constant 3',
        '  %2: f32[] = constant 6',
        '  %3: f32[] = constant 2.4494898',
        '  %4: f32[3] = add %x, %3',
        '  return %4',
        '}',
      ]),
    );
  });

  it('leaves results over the size limit to run time', () => {
    const text = ir([
      'graph @g() {',
      '  %0: f32[] = constant 1',
      '  %1: f32[100] = broadcastTo[shape=[100]] %0',
      '  return %1',
      '}',
    ]);
    expect(after(constantFold, text)).toBe(text);
  });
});

describe('common-subexpression elimination', () => {
  it('merges equal nodes, commutative operands in either order, and equal constants', () => {
    expect(
      after(
        cse,
        ir([
          'graph @g(%x: f32[2], %y: f32[2]) {',
          '  %0: f32[] = constant 2',
          '  %1: f32[] = constant 2',
          '  %2: f32[2] = mul %x, %0',
          '  %3: f32[2] = mul %x, %1',
          '  %4: f32[2] = add %x, %y',
          '  %5: f32[2] = add %y, %x',
          '  %6: f32[2] = sub %x, %y',
          '  %7: f32[2] = sub %y, %x',
          '  %8: f32[2] = add %2, %3',
          '  %9: f32[2] = add %4, %5',
          '  %10: f32[2] = add %6, %7',
          '  return %8, %9, %10',
          '}',
        ]),
      ),
    ).toBe(
      ir([
        'graph @g(%x: f32[2], %y: f32[2]) {',
        '  %0: f32[] = constant 2',
        '  %1: f32[2] = mul %x, %0',
        '  %2: f32[2] = add %x, %y',
        '  %3: f32[2] = sub %x, %y',
        '  %4: f32[2] = sub %y, %x',
        '  %5: f32[2] = add %1, %1',
        '  %6: f32[2] = add %2, %2',
        '  %7: f32[2] = add %3, %4',
        '  return %5, %6, %7',
        '}',
      ]),
    );
  });

  it('keeps NaN, infinity and -0 constants apart and never merges prints', () => {
    const text = ir([
      'graph @g(%x: f32[]) {',
      '  %0: f32[] = constant nan',
      '  %1: f32[] = constant inf',
      '  %2: f32[] = constant -0',
      '  %3: f32[] = constant 0',
      '  %4: f32[] = print[label=a] %x',
      '  %5: f32[] = print[label=a] %x',
      '  return %0, %1, %2, %3, %4, %5',
      '}',
    ]);
    expect(after(cse, text)).toBe(text);
  });
});

describe('dead-code elimination', () => {
  it('keeps what results, updates and prints need', () => {
    expect(
      after(
        dce,
        ir([
          'graph @g(%x: f32[2], %w: f32[2] var) {',
          '  %0: f32[2] = exp %x',
          '  %1: f32[2] = log %x',
          '  %2: f32[2] = print[label=x] %x',
          '  %3: f32[2] = sub %w, %1',
          '  %4: f32[2] = neg %3',
          '  return %0',
          '  update %w <- %3',
          '}',
        ]),
      ),
    ).toBe(
      ir([
        'graph @g(%x: f32[2], %w: f32[2] var) {',
        '  %0: f32[2] = exp %x',
        '  %1: f32[2] = log %x',
        '  %2: f32[2] = print[label=x] %x',
        '  %3: f32[2] = sub %w, %1',
        '  return %0',
        '  update %w <- %3',
        '}',
      ]),
    );
  });
});

describe('algebraic simplification', () => {
  const simplifyThenDce: Pass = (g) => dce(simplify(g));

  it('applies the identity rules of its table (dead nodes left for DCE, run after it here)', () => {
    expect(
      after(
        simplifyThenDce,
        ir([
          'graph @g(%x: f32[2,3], %y: f32[3]) {',
          '  %0: f32[] = constant 1',
          '  %1: f32[] = constant -0',
          '  %2: f32[2,3] = mul %x, %0',
          '  %3: f32[2,3] = add %1, %2',
          '  %4: f32[] = constant 0',
          '  %5: f32[2,3] = sub %3, %4',
          '  %6: f32[2,3] = neg %5',
          '  %7: f32[2,3] = neg %6',
          '  %8: f32[3,2] = transpose[perm=[1,0]] %7',
          '  %9: f32[2,3] = transpose[perm=[1,0]] %8',
          '  %10: f32[6] = reshape[shape=[6]] %9',
          '  %11: f32[3,2] = reshape[shape=[3,2]] %10',
          '  %12: f32[2,3] = cast[dtype=f32] %x',
          '  %13: f32[2,3] = broadcastTo[shape=[2,3]] %y',
          '  %14: f32[2,3] = add %12, %13',
          '  %15: f32[2,3] = stopGradient %14',
          '  %16: f32[2,3] = pow %15, %0',
          '  return %11, %16',
          '}',
        ]),
      ),
    ).toBe(
      ir([
        'graph @g(%x: f32[2,3], %y: f32[3]) {',
        '  %0: f32[3,2] = reshape[shape=[3,2]] %x',
        '  %1: f32[2,3] = add %x, %y',
        '  return %0, %1',
        '}',
      ]),
    );
  });

  it('does not apply the rules its table lists as unsafe', () => {
    const text = ir([
      'graph @g(%x: f32[2]) {',
      '  %0: f32[] = constant 0',
      '  %1: f32[2] = mul %x, %0',
      '  %2: f32[2] = sub %x, %x',
      '  %3: f32[2] = log %x',
      '  %4: f32[2] = exp %3',
      '  %5: f32[2] = div %x, %x',
      '  %6: f32[2] = add %x, %0',
      '  %7: f32[] = constant -0',
      '  %8: f32[2] = sub %x, %7',
      '  return %1, %2, %4, %5, %6, %8',
      '}',
    ]);
    expect(after(simplify, text)).toBe(text);
    // Those rules would be wrong here: x*0 is NaN for x = inf, exp(log(-1)) is NaN, -0 + 0 is +0.
    const special = k.tensor([Infinity, -1]);
    expect(Array.from(k.mul(special, 0).dataSync())).toEqual([NaN, -0]);
    expect(Object.is(k.add(k.scalar(-0), 0).item(), 0)).toBe(true);
    expect(Number.isNaN(k.exp(k.log(special)).dataSync()[1])).toBe(true);
  });

  it('turns a broadcast 1-element constant into a scalar the consumer broadcasts, and drops kept dims', () => {
    expect(
      after(
        simplifyThenDce,
        ir([
          'graph @g(%x: f32[4,1]) {',
          '  %0: f32[1] = constant [0.5]',
          '  %1: f32[4] = broadcastTo[shape=[4]] %0',
          '  %2: f32[4,1] = reshape[shape=[4,1]] %1',
          '  %3: f32[4,1] = mul %2, %x',
          '  %4: f32[4,3] = broadcastTo[shape=[4,3]] %x',
          '  %5: f32[1,3] = sum[axes=[0], keepDims=true] %4',
          '  %6: f32[3] = reshape[shape=[3]] %5',
          '  return %3, %6',
          '}',
        ]),
      ),
    ).toBe(
      ir([
        'graph @g(%x: f32[4,1]) {',
        '  %0: f32[] = constant 0.5',
        '  %1: f32[4,1] = mul %0, %x',
        '  %2: f32[4,3] = broadcastTo[shape=[4,3]] %x',
        '  %3: f32[3] = sum[axes=[0]] %2',
        '  return %1, %3',
        '}',
      ]),
    );
  });
});

describe('fusion', () => {
  it('GELU written as 9 separate ops becomes 1 fused kernel', () => {
    const f = trace(geluChain, { backend: 'interpreter' });
    const stages = f.stages({ shape: [1024] });
    expect(stages[0]!.graph.nodes.filter((n) => n.op !== 'constant')).toHaveLength(9);
    const fused = f.lower({ shape: [1024] });
    expect(kernelCount(fused)).toBe(1);
    expect(fused.nodes.map((n) => n.op)).toEqual(['fused.elementwise']);
  });

  it('row softmax (max, subtract, exp, sum, divide) becomes 1 kernel', () => {
    const f = trace((x: k.Tensor) => k.softmax(x), { backend: 'interpreter' });
    const g = f.lower({ shape: [64, 100] });
    expect(kernelCount(g)).toBeLessThanOrEqual(2);
    expect(g.nodes.map((n) => n.op)).toEqual(['fused.rows']);
  });

  it('layernorm becomes 1 kernel', () => {
    const f = trace((x: k.Tensor, g: k.Tensor, b: k.Tensor) => k.layerNorm(x, g, b), { backend: 'interpreter' });
    const g = f.lower({ shape: [64, 100] }, { shape: [100] }, { shape: [100] });
    expect(kernelCount(g)).toBeLessThanOrEqual(3);
    expect(g.nodes.map((n) => n.op)).toEqual(['fused.rows']);
  });

  it('prints a fused node with its body inline', () => {
    const f = trace(
      function block(x: k.Tensor, w: k.Tensor, b: k.Tensor) {
        return k.relu(k.add(k.matmul(x, w), b));
      },
      { backend: 'interpreter' },
    );
    expect(f.ir({ shape: [4, 3] }, { shape: [3, 2] }, { shape: [2] }, { stage: 'fused' })).toBe(
      ir([
        'graph @block(%x: f32[4,3], %w: f32[3,2], %b: f32[2]) {',
        '  %0: f32[4,2] = fused.matmul %x, %w, %b {',
        '    (%in0: f32[4,3], %in1: f32[3,2], %in2: f32[2])',
        '    %t0: f32[4,2] = matmul %in0, %in1',
        '    %t1: f32[4,2] = add %t0, %in2',
        '    %t2: f32[4,2] = relu %t1',
        '    yield %t2',
        '  }',
        '  return %0',
        '}',
      ]),
    );
  });

  it('fuses elementwise producers into the reduction that consumes them', () => {
    expect(
      after(
        fuse,
        ir([
          'graph @g(%x: f32[8,4], %m: f32[4]) {',
          '  %0: f32[8,4] = sub %x, %m',
          '  %1: f32[8,4] = square %0',
          '  %2: f32[4] = sum[axes=[0]] %1',
          '  return %2',
          '}',
        ]),
      ),
    ).toBe(
      ir([
        'graph @g(%x: f32[8,4], %m: f32[4]) {',
        '  %0: f32[4] = fused.reduce %x, %m {',
        '    (%in0: f32[8,4], %in1: f32[4])',
        '    %t0: f32[8,4] = sub %in0, %in1',
        '    %t1: f32[8,4] = square %t0',
        '    %t2: f32[4] = sum[axes=[0]] %t1',
        '    yield %t2',
        '  }',
        '  return %0',
        '}',
      ]),
    );
  });

  it('does not fuse a value that is also needed elsewhere', () => {
    const text = ir([
      'graph @g(%x: f32[4]) {',
      '  %0: f32[4] = exp %x',
      '  %1: f32[4] = neg %0',
      '  return %0, %1',
      '}',
    ]);
    expect(after(fuse, text)).toBe(text);
  });
});

function mlpTrainStep(optimizer: k.Optimizer) {
  const p = {
    w1: k.variable(k.zeros([784, 512]), { name: 'w1' }),
    b1: k.variable(k.zeros([512]), { name: 'b1' }),
    w2: k.variable(k.zeros([512, 512]), { name: 'w2' }),
    b2: k.variable(k.zeros([512]), { name: 'b2' }),
    w3: k.variable(k.zeros([512, 10]), { name: 'w3' }),
    b3: k.variable(k.zeros([10]), { name: 'b3' }),
  };
  type P = { [K in keyof typeof p]: k.Tensor };
  const loss = (q: P, x: k.Tensor, y: k.Tensor) =>
    k.softmaxCrossEntropy(k.dense(k.relu(k.dense(k.relu(k.dense(x, q.w1, q.b1)), q.w2, q.b2)), q.w3, q.b3), y);
  return trace(
    function trainStep(x: k.Tensor, y: k.Tensor) {
      const [l, g] = k.valueAndGrad(loss)(p, x, y);
      optimizer.apply(p, g);
      return l;
    },
    { backend: 'interpreter' },
  );
}

const MLP_ARGS = [{ shape: [128, 784] }, { shape: [128], dtype: 'i32' }] as const;

describe('the MLP 784-512-512-10 train step', () => {
  it('turns dense + bias + relu into a matmul with an epilogue', () => {
    const g = mlpTrainStep(k.sgd({ learningRate: 0.1 })).lower(...MLP_ARGS);
    const first = g.nodes[0]!;
    expect(first.op).toBe('fused.matmul');
    expect(first.body!.nodes.map((n) => n.op)).toEqual(['matmul', 'add', 'relu']);
  });

  it('plans memory with a peak at least 2x below the sum of all intermediates, and no overlaps', () => {
    const step = mlpTrainStep(k.sgd({ learningRate: 0.1 }));
    const stages = step.stages(...MLP_ARGS);
    const optimized = stages.find((s) => s.name === 'optimized')!.graph;
    const planned = stages.find((s) => s.name === 'planned')!.graph;
    const plan = memoryPlanOf(planned)!;
    const unfusedPlan = memoryPlanOf(planMemory(optimized))!;
    // What the program computes: every intermediate of the optimized (unfused) graph.
    expect(unfusedPlan.peakBytes * 2).toBeLessThanOrEqual(unfusedPlan.totalBytes);
    expect(plan.peakBytes * 2).toBeLessThanOrEqual(unfusedPlan.totalBytes);
    // The optimizer's step count writes into its variable: the label check (a gather) runs before
    // it. The interpreter's (default) policy keeps fused nodes out of place, so the other updates
    // are copied in at the end (the Wasm policy's choices: codegen-wasm/test/memory-policy.test.ts).
    expect([...plan.variablesInPlace].map((p) => p.name).sort()).toEqual(['sgd_iterations']);
    for (const p of [plan, unfusedPlan]) expectNoLiveOverlap(p);
  });
});

describe('the memory plan follows the backend policy', () => {
  // x + 1 fused with exp, written into the variable v: in place only where the policy allows it.
  const text = ir([
    'graph @g(%x: f32[4], %v: f32[4] var) {',
    '  %0: f32[4] = fused.elementwise %v {',
    '    (%in0: f32[4])',
    '    %t0: f32[4] = exp %in0',
    '    yield %t0',
    '  }',
    '  %1: f32[4] = add %0, %x',
    '  return %1',
    '  update %v <- %0',
    '}',
  ]);
  const plan = (policy: PassContext['memoryPolicy']) =>
    memoryPlanOf(planMemory(parseGraph(text), { memoryPolicy: policy }))!;
  const fusedInPlace = { ...defaultMemoryPolicy, name: 'fused-in-place', inPlaceInputs: sameShapeInputs };

  it('keeps a fused node out of place under the default policy, and records the policy', () => {
    expect(plan(defaultMemoryPolicy).policy).toBe('default');
    expect(plan(defaultMemoryPolicy).variablesInPlace.size).toBe(0);
  });

  it('writes the update into the variable where the policy lets the node overwrite its input', () => {
    expect([...plan(fusedInPlace).variablesInPlace].map((p) => p.name)).toEqual(['v']);
  });

  it('updates no variable in place when a node may fail midway', () => {
    expect(plan({ ...fusedInPlace, mayFail: () => true }).variablesInPlace.size).toBe(0);
  });
});

describe('memory planning around ops that may stop a call', () => {
  const inPlace = (lines: string[]): string[] =>
    [...memoryPlanOf(planMemory(parseGraph(ir(lines))))!.variablesInPlace].map((p) => p.name);

  it('writes an update into its variable when every index check runs before it', () => {
    const graph = [
      'graph @g(%i: i32[2], %v: f32[4] var) {',
      '  %0: f32[2] = gather[axis=0] %v, %i',
      '  %1: f32[4] = neg %v',
      '  return %0',
      '  update %v <- %1',
      '}',
    ];
    expect(inPlace(graph)).toEqual(['v']);
  });

  it('keeps the variable intact when an index check runs after its update is computed', () => {
    const graph = [
      'graph @g(%i: i32[2], %v: f32[4] var) {',
      '  %0: f32[4] = neg %v',
      '  %1: f32[2] = gather[axis=0] %0, %i',
      '  return %1',
      '  update %v <- %0',
      '}',
    ];
    expect(inPlace(graph)).toEqual([]);
  });
});

/** No two buffers that are live at the same time share a byte. */
function expectNoLiveOverlap(plan: NonNullable<ReturnType<typeof memoryPlanOf>>): void {
  const bs = plan.buffers;
  for (let i = 0; i < bs.length; i++) {
    for (let j = i + 1; j < bs.length; j++) {
      const a = bs[i]!;
      const b = bs[j]!;
      const liveTogether = a.start <= b.end && b.start <= a.end;
      const overlap = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      if (liveTogether && overlap) throw new Error(`buffers ${i} and ${j} overlap while both live`);
    }
  }
}

describe('the verifier passes after every pass on every program', () => {
  const passes: [string, Pass][] = [
    ['constantFold', constantFold],
    ['simplify', simplify],
    ['cse', cse],
    ['dce', dce],
    ['fuse', fuse],
    ['planMemory', planMemory],
  ];
  it.each(PROGRAMS.map((p) => [p.name, p] as const))('%s', (_name, program) => {
    const run = program.setup();
    const traced = trace(run.fn, { name: 'program', backend: 'interpreter', passes: [] }).lower(...run.args);
    for (const [, pass] of passes) verifyGraph(pass(traced, context));
    let g: Graph = traced;
    for (const [, pass] of passes) {
      g = pass(g, context);
      verifyGraph(g);
    }
    expect(runPipeline(traced, DEFAULT_PASSES).length).toBeGreaterThan(DEFAULT_PASSES.length);
    if (memoryPlanOf(g)) expectNoLiveOverlap(memoryPlanOf(g)!);
  });
});
