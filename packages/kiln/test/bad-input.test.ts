/**
 * @file The bad-input catalogue: each case feeds Kiln something wrong and checks the error class,
 * that the message names the culprit, and that the failure changed nothing: no variable (value
 * and version) and no trace cache (tracing count and entries).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k from '../src/index.ts';
import { kiln, FIXTURES } from '../../cli/test/support/run-kiln.ts';
import {
  KilnArgumentError,
  KilnConcretizationError,
  KilnDTypeError,
  KilnFormatError,
  KilnGradientError,
  KilnParseError,
  KilnShapeError,
  KilnVerifyError,
  KilnMemoryLimitError,
  type KilnError,
} from '../src/index.ts';

/** Shared state every case may touch; the catalogue checks none of it changed. */
interface World {
  w: k.Variable;
  b: k.Variable;
  opt: k.Optimizer;
  step: k.Traced<(x: k.Tensor, i: k.Tensor) => k.Tensor>;
  fixed: k.Traced<(x: k.Tensor) => k.Tensor>;
  classify: k.Traced<(x: k.Tensor, labels: k.Tensor) => k.Tensor>;
  pair: k.Traced<(p: { w: k.Tensor; b: k.Tensor }) => k.Tensor>;
}

function makeWorld(): World {
  const w = k.variable(
    k.tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]),
    { name: 'w' },
  );
  const b = k.variable(k.tensor([0.5, -0.5]), { name: 'b' });
  const opt = k.sgd({ learningRate: 0.1 });
  const step = k.trace(function step(x: k.Tensor, i: k.Tensor) {
    const [loss, grads] = k.valueAndGrad((p: { w: k.Tensor; b: k.Tensor }) => k.sum(k.gather(k.dense(x, p.w, p.b), i)))(
      { w, b },
    );
    opt.apply({ w, b }, grads);
    return loss;
  });
  const fixed = k.trace(
    function fixed(x: k.Tensor) {
      return k.mul(x, 2);
    },
    { inputSignature: [{ shape: [2, 3], dtype: 'f32' }] },
  );
  const classify = k.trace(function classify(x: k.Tensor, labels: k.Tensor) {
    const loss = (p: { w: k.Tensor; b: k.Tensor }) => k.softmaxCrossEntropy(k.dense(x, p.w, p.b), labels);
    const [value, grads] = k.valueAndGrad(loss)({ w, b });
    opt.apply({ w, b }, grads);
    return value;
  });
  const pair = k.trace(function pair(p: { w: k.Tensor; b: k.Tensor }) {
    return k.add(p.w, p.b);
  });
  return { w, b, opt, step, fixed, classify, pair };
}

interface Snapshot {
  values: number[][];
  versions: number[];
  caches: string[][];
  counts: number[];
}

function snapshot(world: World): Snapshot {
  const vars = [
    world.w,
    world.b,
    world.opt.iterations,
    ...[...world.opt.state.values()].flatMap((s) => Object.values(s)),
  ];
  const traced = [world.step, world.fixed, world.classify, world.pair];
  return {
    values: vars.map((v) => Array.from(v.value.dataSync())),
    versions: vars.map((v) => v.version),
    caches: traced.map((t) => t.cacheEntries.map((e) => e.signature)),
    counts: traced.map((t) => t.tracingCount),
  };
}

type ErrorClass = new (...args: never[]) => KilnError;
interface Case {
  name: string;
  act: (world: World) => unknown;
  error: ErrorClass;
  message: RegExp;
  /** The error points at the line of this file that made the call. */
  locates?: boolean;
}

/** Checkpoint files for the restore cases, written in beforeAll. */
const files = mkdtempSync(join(tmpdir(), 'kiln-bad-input-'));
const CUT = join(files, 'cut.safetensors');
const OTHER = join(files, 'other.safetensors');

const x23 = () =>
  k.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
const good = (w: World) => w.step(x23(), k.tensor([0, 1], undefined, 'i32'));

const CASES: Case[] = [
  // API
  {
    name: 'add with shapes that do not broadcast',
    act: () => k.add(x23(), k.ones([4])),
    error: KilnShapeError,
    message: /^add: shapes f32\[2,3\], f32\[4\] cannot be broadcast together/,
  },
  {
    name: 'matmul with mismatched inner dimensions',
    act: () => k.matmul(x23(), x23()),
    error: KilnShapeError,
    message: /^matmul: inner dimensions differ: f32\[2,3\], f32\[2,3\] gives 3 vs 2/,
  },
  {
    name: 'a reduction axis out of range',
    act: () => k.sum(x23(), 5),
    error: KilnArgumentError,
    message: /^sum: axis 5 is out of range for f32\[2,3\] \(rank 2\)/,
  },
  {
    name: 'reshape to another size',
    act: () => k.reshape(x23(), [4, -1]),
    error: KilnShapeError,
    message: /^reshape: cannot reshape f32\[2,3\] \(6 elements\) to \[4,-1\]/,
  },
  {
    name: 'f32 + i32',
    act: () => k.add(x23(), k.tensor([1, 2, 3], undefined, 'i32')),
    error: KilnDTypeError,
    message: /^add: dtypes differ: f32\[2,3\] and i32\[3\]/,
  },
  {
    name: 'grad of a non-scalar function',
    act: () => k.grad((t: k.Tensor) => k.mul(t, 2))(x23()),
    error: KilnGradientError,
    message: /must return a scalar f32 tensor.*got f32\[2,3\]/,
  },
  {
    name: 'a string where a tensor is needed',
    act: () => k.add(x23(), 'abc' as unknown as number),
    error: KilnArgumentError,
    message: /^add: second argument must be a tensor, variable, number or array; got string "abc"/,
  },
  {
    name: 'assign of the wrong shape',
    act: (w) => w.w.assign(k.ones([2, 3])),
    error: KilnShapeError,
    message: /^assign: variable 'w' is f32\[3,2\], cannot assign f32\[2,3\]/,
  },
  {
    name: 'optimizer grads of another structure',
    act: (w) => w.opt.apply({ w: w.w, b: w.b }, { b: k.ones([2]), w: k.ones([3, 2]) }),
    error: KilnArgumentError,
    message: /^optimizer: grads have structure/,
  },
  {
    name: 'an eager gather index out of range',
    act: () => k.gather(x23(), k.tensor([2], undefined, 'i32')),
    error: KilnArgumentError,
    message: /^gather: index 2 is out of range \[0, 2\)/,
  },
  {
    name: 'an eager label out of range in softmaxCrossEntropy',
    act: () => k.softmaxCrossEntropy(x23(), k.tensor([1, 5], undefined, 'i32')),
    error: KilnArgumentError,
    message: /^softmaxCrossEntropy: label 5 \(at index 1\) is out of range \[0, 3\) for logits f32\[2,3\]/,
    locates: true,
  },
  {
    name: 'a tensor too large to hold',
    act: () => k.zeros([1e6, 1e6]),
    error: KilnShapeError,
    message: /^zeros: shape \[1000000,1000000\] has 1000000000000 elements, more than a tensor can hold/,
    locates: true,
  },
  {
    name: 'an op whose result would be too large to hold',
    act: () => k.broadcastTo(k.ones([1, 1]), [100000, 100000]),
    error: KilnShapeError,
    message: /^broadcastTo: shape \[100000,100000\] has 10000000000 elements/,
    locates: true,
  },
  {
    name: 'a learning rate that is not a number, scalar Variable or schedule',
    act: () => k.adam('fast' as never),
    error: KilnArgumentError,
    message: /^adam: learningRate must be a finite number, an f32\[\] Variable or a schedule; got fast/,
  },
  {
    name: 'a truncated checkpoint',
    act: (w) => k.restoreCheckpoint(CUT, { params: { w: w.w, b: w.b }, optimizer: w.opt }),
    error: KilnFormatError,
    message: /^safetensors: .*cut\.safetensors is truncated: its tensors need 36 bytes of data, the file has 33/,
  },
  {
    name: 'a checkpoint whose tensor has another shape',
    act: (w) => k.restoreCheckpoint(OTHER, { params: { w: w.w, b: w.b }, optimizer: w.opt }),
    error: KilnShapeError,
    message: /^restoreCheckpoint: tensor 'params\.b' in .*other\.safetensors is f32\[3\] but variable 'b' is f32\[2\]/,
  },
  {
    name: 'datasets of tensors with different row counts',
    act: () => k.data.fromTensors({ x: x23(), y: k.ones([3]) }),
    error: KilnShapeError,
    message: /^fromTensors: leaf 'y' \(f32\[3\]\) has 3 rows, 'x' \(f32\[2,3\]\) has 2/,
  },
  {
    name: 'random numbers without a seed',
    act: () => k.randomNormal([2], undefined as never),
    error: KilnArgumentError,
    message: /^randomNormal: needs an explicit \{ seed \}/,
  },
  {
    name: 'ragged nested arrays',
    act: () => k.tensor([[1, 2], [3]]),
    error: KilnShapeError,
    message: /^tensor: nested arrays are ragged at depth 1/,
  },
  // trace
  {
    name: 'a call that does not match inputSignature',
    act: (w) => w.fixed(k.ones([3, 3])),
    error: KilnArgumentError,
    message: /^fixed: call does not match inputSignature: x is f32\[3,3\] but inputSignature says f32\[2,3\]/,
  },
  {
    name: 'data-dependent control flow while tracing',
    act: () => k.trace((t: k.Tensor) => ((k.sum(t).greater(0) as unknown as number) > 0 ? t : k.neg(t)))(x23()),
    error: KilnConcretizationError,
    message: /data-dependent control flow cannot be traced/,
  },
  {
    name: 'a traced step whose new shape fails while tracing',
    act: (w) => w.step(k.ones([2, 4]), k.tensor([0], undefined, 'i32')),
    error: KilnShapeError,
    message: /^matmul: inner dimensions differ: f32\[2,4\], f32\[3,2\]/,
  },
  {
    name: 'a gather index out of range inside a traced step (wasm)',
    act: (w) => w.step(x23(), k.tensor([0, 9], undefined, 'i32')),
    error: KilnArgumentError,
    message: /^gather: index 9 is out of range \[0, 2\) in traced function @step/,
  },
  {
    name: 'a label out of range inside a traced training step (wasm)',
    act: (w) => w.classify(x23(), k.tensor([0, 5], undefined, 'i32')),
    error: KilnArgumentError,
    message: /^gather: index 5 is out of range \[0, 2\) in traced function @classify/,
    locates: true,
  },
  {
    name: 'a traced call whose pytree lacks a key the body reads',
    act: (w) => w.pair({ w: k.ones([3, 2]) } as never),
    error: KilnArgumentError,
    message:
      /^pair: argument p has no key 'b' \(its keys are w\), but the traced body reads p\.b; tracing then failed: add:/,
    locates: true,
  },
  {
    name: 'an unknown backend',
    act: () => k.trace((t: k.Tensor) => t, { backend: 'gpu' })(x23()),
    error: KilnArgumentError,
    message: /^trace: unknown backend 'gpu'; available: interpreter, wasm/,
  },
  {
    name: 'an unknown IR stage',
    act: (w) => w.fixed.ir({ stage: 'lowered' }),
    error: KilnArgumentError,
    message: /^fixed\.ir: unknown stage 'lowered'; stages: traced, constantFold/,
  },
  {
    name: 'a trace that needs more than 4 GiB',
    act: () => k.trace((t: k.Tensor) => k.exp(t), { inputSignature: [{ shape: [40000, 40000] }] }).inspect(),
    error: KilnMemoryLimitError,
    message: /more than WebAssembly's 4 GiB memory/,
  },
  // IR text
  {
    name: 'IR with an unknown op',
    act: () => k.parseGraph('graph @g(%x: f32[2]) {\n  %0: f32[2] = frob %x\n  return %0\n}'),
    error: KilnParseError,
    message: /^IR parse error at line 2, column 16: unknown op, found "frob"/,
  },
  {
    name: 'IR using a value before it is defined',
    act: () => k.parseGraph('graph @g(%x: f32[2]) {\n  %0: f32[2] = neg %5\n  return %0\n}'),
    error: KilnParseError,
    message: /^IR parse error at line 2, column 20: value %5 is used before it is defined/,
  },
  {
    name: 'IR whose types disagree with the ops',
    act: () => k.verifyGraph(k.parseGraph('graph @g(%x: f32[2,3]) {\n  %0: f32[3] = sum[axes=[1]] %x\n  return %0\n}')),
    error: KilnVerifyError,
    message: /node 0 \(sum\) has type f32\[3\] but its op gives f32\[2\]/,
  },
];

describe('the bad-input catalogue', () => {
  let world: World;
  let warn: jest.SpiedFunction<typeof console.warn>;
  beforeAll(() => {
    warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    world = makeWorld();
    good(world); // trace and run once, so caches and optimizer state exist
    good(world);
    world.fixed(x23());
    world.classify(x23(), k.tensor([0, 1], undefined, 'i32'));
    world.pair({ w: k.ones([3, 2]), b: k.ones([2]) });
    k.saveCheckpoint(CUT, { params: { w: world.w, b: world.b }, optimizer: world.opt });
    writeFileSync(CUT, readFileSync(CUT).subarray(0, -3));
    const other = { w: k.variable(k.ones([3, 2])), b: k.variable(k.ones([3])) };
    k.saveCheckpoint(OTHER, { params: other, optimizer: k.sgd(1) });
  });
  afterAll(() => {
    warn.mockRestore();
    rmSync(files, { recursive: true, force: true });
  });

  it('has at least 20 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const before = snapshot(world);
    let error: unknown = null;
    try {
      c.act(world);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(c.error);
    expect((error as KilnError).detail ?? (error as Error).message).toMatch(c.message);
    if (c.locates) expect((error as KilnError).location?.file).toMatch(/bad-input\.test\.ts$/);
    expect(snapshot(world)).toEqual(before);
    // And the world still works.
    expect(Number.isFinite(good(world).item() as number)).toBe(true);
  });
});

/** The CLI's bad input: one line on stderr naming the culprit, exit code 2, nothing on stdout. */
const CLI_CASES: [string, string[], string][] = [
  ['a file that does not exist', ['dump', `${FIXTURES}/nope.ts`], `kiln: no such file: ${FIXTURES}/nope.ts`],
  [
    'a function that is not there',
    ['dump', 'examples/train-step.ts', '--fn', 'missing'],
    "kiln: no traced function 'missing'",
  ],
  [
    'malformed --args',
    ['dump', 'examples/train-step.ts', '--fn', 'predict', '--args', 'f32[32,x]'],
    "kiln: bad --args: 'f32[32,x]' is not a tensor type",
  ],
  [
    'an unknown stage',
    ['dump', 'examples/train-step.ts', '--fn', 'predict', '--stage', 'lowered'],
    "kiln: unknown stage 'lowered'",
  ],
];

describe('the bad-input catalogue: the kiln command', () => {
  // Started together up front: each run starts Node, tsx and binaryen (about a second).
  const runs = CLI_CASES.map(([, args]) => kiln(args));
  it.each(CLI_CASES.map(([name, , message], i) => [name, i, message] as const))(
    '%s',
    async (_name, i, message) => {
      const run = await runs[i]!;
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr.trim().startsWith(message)).toBe(true);
    },
    60000,
  );
});
