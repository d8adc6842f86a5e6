/**
 * @file The differential test catalogue: small programs covering every op (values and
 * gradients) and the composite programs users write (MLP training steps with SGD and Adam,
 * softmax, layernorm, GELU, attention). The tracer, pass and backend suites all run these and
 * compare each mode against eager execution.
 */
import * as k from '@kiln-jit/core';
import { COMPARE_OPS, type ArithmeticOp, type Tensor, type UnaryOp, type Variable } from '@kiln-jit/core';

export interface ProgramRun {
  fn: (...args: never[]) => unknown;
  args: unknown[];
  /** Variables the program updates; compared after the steps. */
  variables?: Variable[];
  /** How many times to call fn (default 1). */
  steps?: number;
}

export interface Program {
  name: string;
  /** Builds fresh inputs and state; called once per mode, so every mode starts from the same state. */
  setup(): ProgramRun;
}

type Fn = (...xs: Tensor[]) => Tensor;

const uniform = (shape: number[], seed: number, min = -2, max = 2): Tensor =>
  k.randomUniform(shape, { seed, min, max });
const positive = (shape: number[], seed: number): Tensor => uniform(shape, seed, 0.2, 3);
const boolOf = (shape: number[], seed: number): Tensor => k.greater(uniform(shape, seed), 0);
const ints = (shape: number[], seed: number, max = 5): Tensor => k.cast(uniform(shape, seed, -max, max), 'i32');
/** Values on a coarse grid, so comparisons see ties. */
const gridded = (shape: number[], seed: number): Tensor => k.div(k.round(k.mul(uniform(shape, seed), 2)), 2);

function program(name: string, fn: Fn, inputs: () => Tensor[]): Program {
  return { name, setup: () => ({ fn: fn as ProgramRun['fn'], args: inputs() }) };
}

/** The gradient of sum(f(xs) · w) with respect to every input, as one program. */
function gradProgram(name: string, f: Fn, inputs: () => Tensor[]): Program {
  return {
    name: `grad ${name}`,
    setup: () => {
      const xs = inputs();
      const probe = f(...xs);
      const w = uniform([...probe.shape], 99);
      const loss = (...ys: Tensor[]): Tensor => k.sum(k.mul(f(...ys), w));
      // Differentiate with respect to the f32 inputs only (not indices or conditions).
      const argnums = xs.flatMap((x, i) => (x.dtype === 'f32' ? [i] : []));
      return { fn: ((...ys: Tensor[]) => k.grad(loss, argnums)(...ys)) as ProgramRun['fn'], args: xs };
    },
  };
}

const op = (name: string): Fn => (k as unknown as Record<string, Fn>)[name]!;

type Domain = (shape: number[], seed: number) => Tensor;

/** Every unary op on f32 (logicalNot takes bool: below), with the input domain it is defined on. */
const UNARY_CASES: { readonly [K in Exclude<UnaryOp, 'logicalNot'>]: Domain } = {
  neg: uniform,
  abs: uniform,
  sign: uniform,
  exp: uniform,
  log: positive,
  log1p: (s, seed) => uniform(s, seed, -0.9, 3),
  expm1: uniform,
  sqrt: positive,
  rsqrt: positive,
  square: uniform,
  reciprocal: positive,
  sin: uniform,
  cos: uniform,
  tanh: uniform,
  sigmoid: uniform,
  relu: uniform,
  leakyRelu: uniform,
  gelu: uniform,
  erf: uniform,
  softplus: uniform,
  silu: (s, seed) => uniform(s, seed, -5, 5),
  hardSigmoid: (s, seed) => uniform(s, seed, -5, 5),
  floor: uniform,
  ceil: uniform,
  round: uniform,
  stopGradient: uniform,
};
const NOT_DIFFERENTIABLE: ReadonlySet<UnaryOp> = new Set<UnaryOp>(['sign', 'floor', 'ceil', 'round', 'stopGradient']);

const BINARY_SHAPES: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [[2, 3], [3]],
  [
    [4, 1],
    [1, 5],
  ],
  [[], [2, 2]],
];
const ARITHMETIC: { readonly [K in ArithmeticOp]: [Domain, Domain] } = {
  add: [uniform, uniform],
  sub: [uniform, uniform],
  mul: [uniform, uniform],
  div: [uniform, positive],
  pow: [positive, uniform],
  maximum: [uniform, uniform],
  minimum: [uniform, uniform],
  mod: [uniform, positive],
};
const COMPARES = COMPARE_OPS;

function elementwisePrograms(): Program[] {
  const out: Program[] = [];
  for (const [name, domain] of Object.entries(UNARY_CASES) as [UnaryOp, Domain][]) {
    const inputs = (): Tensor[] => [domain([3, 4], 1)];
    out.push(program(name, op(name), inputs));
    if (!NOT_DIFFERENTIABLE.has(name)) out.push(gradProgram(name, op(name), inputs));
  }
  out.push(
    program(
      'gelu erf form',
      (x) => k.gelu(x, { approximate: false }),
      () => [uniform([3, 4], 2)],
    ),
  );
  out.push(
    gradProgram(
      'gelu erf form',
      (x) => k.gelu(x, { approximate: false }),
      () => [uniform([3, 4], 2)],
    ),
  );
  out.push(
    program(
      'leakyRelu alpha',
      (x) => k.leakyRelu(x, 0.01),
      () => [uniform([5], 3)],
    ),
  );
  for (const name of ['neg', 'abs', 'sign', 'square', 'relu'])
    out.push(program(`${name} i32`, op(name), () => [ints([7], 4)]));
  out.push(program('logicalNot', k.logicalNot, () => [boolOf([6], 5)]));
  for (const [name, [left, right]] of Object.entries(ARITHMETIC)) {
    for (const [sa, sb] of BINARY_SHAPES) {
      const inputs = (): Tensor[] => [left(sa, 6), right(sb, 7)];
      out.push(program(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, op(name), inputs));
      out.push(gradProgram(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, op(name), inputs));
    }
  }
  for (const name of ['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'mod', 'pow']) {
    out.push(program(`${name} i32`, op(name), () => [ints([2, 3], 8), k.add(k.abs(ints([3], 9, 3)), 1)]));
  }
  for (const name of COMPARES) {
    out.push(program(`${name}`, op(name), () => [gridded([3, 4], 10), gridded([4], 11)]));
    out.push(program(`${name} i32`, op(name), () => [ints([3, 4], 12, 2), ints([3, 1], 13, 2)]));
  }
  for (const name of ['logicalAnd', 'logicalOr'])
    out.push(program(name, op(name), () => [boolOf([2, 3], 14), boolOf([3], 15)]));
  const whereInputs = (): Tensor[] => [boolOf([2, 3], 16), uniform([2, 3], 17), uniform([3], 18)];
  out.push(program('where', k.where as Fn, whereInputs));
  out.push(gradProgram('where', (c, a, b) => k.where(c!, a!, b!), whereInputs));
  for (const [from, to] of [
    ['f32', 'i32'],
    ['f32', 'bool'],
    ['i32', 'f32'],
    ['bool', 'f32'],
    ['i32', 'bool'],
  ] as const) {
    const input = (): Tensor[] => [
      from === 'f32' ? uniform([2, 5], 19, -3, 3) : from === 'i32' ? ints([2, 5], 20) : boolOf([2, 5], 21),
    ];
    out.push(program(`cast ${from}->${to}`, (x) => k.cast(x, to), input));
  }
  return out;
}

const REDUCE_AXES: [string, number | number[] | undefined, boolean][] = [
  ['all', undefined, false],
  ['axis 0', 0, false],
  ['axis -1 keepDims', -1, true],
  ['axes [0,2]', [0, 2], false],
  ['axes [1,2] keepDims', [1, 2], true],
];

function reductionPrograms(): Program[] {
  const out: Program[] = [];
  for (const name of ['sum', 'mean', 'max', 'min', 'prod', 'logSumExp', 'argmax', 'argmin']) {
    for (const [label, axes, keepDims] of REDUCE_AXES) {
      const f: Fn = (x) =>
        (k as unknown as Record<string, (x: Tensor, a?: number | number[], kd?: boolean) => Tensor>)[name]!(
          x,
          axes,
          keepDims,
        );
      const inputs = (): Tensor[] => [name === 'prod' ? uniform([2, 3, 4], 22, 0.5, 1.5) : uniform([2, 3, 4], 22)];
      out.push(program(`${name} ${label}`, f, inputs));
      if (!name.startsWith('arg')) out.push(gradProgram(`${name} ${label}`, f, inputs));
    }
  }
  out.push(
    program(
      'sum i32',
      (x) => k.sum(x, 1),
      () => [ints([3, 4], 23)],
    ),
  );
  out.push(
    program(
      'max with ties',
      (x) => k.max(x, 1),
      () => [gridded([3, 4], 24)],
    ),
  );
  out.push(
    gradProgram(
      'max with ties',
      (x) => k.max(x, 1),
      () => [
        k.tensor([
          [1, 3, 3, 0],
          [2, 2, 2, 2],
          [-1, 0, 5, 4],
        ]),
      ],
    ),
  );
  out.push(
    gradProgram(
      'prod with a zero',
      (x) => k.prod(x, 1),
      () => [
        k.tensor([
          [1, 0, 3],
          [2, 4, 0.5],
          [0, 0, 2],
        ]),
      ],
    ),
  );
  return out;
}

function layoutPrograms(): Program[] {
  const x = (): Tensor[] => [uniform([2, 3, 4], 25)];
  const cases: [string, Fn, () => Tensor[]][] = [
    ['reshape -1', (t) => k.reshape(t, [6, -1]), x],
    ['transpose', (t) => k.transpose(t, [2, 0, 1]), x],
    ['transpose default', (t) => k.transpose(t), x],
    ['broadcastTo', (t) => k.broadcastTo(t, [5, 2, 3, 4]), x],
    ['expandDims', (t) => k.expandDims(t, -1), x],
    ['squeeze', (t) => k.squeeze(t, 1), () => [uniform([3, 1, 2], 26)]],
    ['slice', (t) => k.slice(t, [1, 0, 1], [1, -1, 2]), x],
    ['concat', (a, b) => k.concat([a!, b!], 1), () => [uniform([2, 3], 27), uniform([2, 5], 28)]],
    ['stack', (a, b) => k.stack([a!, b!], -1), () => [uniform([2, 3], 29), uniform([2, 3], 30)]],
    [
      'pad',
      (t) =>
        k.pad(
          t,
          [
            [1, 0],
            [0, 2],
            [1, 1],
          ],
          -1,
        ),
      x,
    ],
    [
      'gather axis 0',
      (t, i) => k.gather(t, i!, 0),
      () => [uniform([4, 3], 31), k.tensor([3, 0, 3, 1], undefined, 'i32')],
    ],
    [
      'gather axis 1, 2-d indices',
      (t, i) => k.gather(t, i!, 1),
      () => [
        uniform([2, 4, 3], 32),
        k.tensor(
          [
            [1, 1],
            [0, 3],
          ],
          undefined,
          'i32',
        ),
      ],
    ],
  ];
  const out: Program[] = [];
  for (const [name, f, inputs] of cases) {
    out.push(program(name, f, inputs));
    out.push(gradProgram(name, f, inputs));
  }
  out.push(
    program(
      'oneHot',
      (i) => k.oneHot(i!, 4),
      () => [k.tensor([0, 3, 5, -1, 2], undefined, 'i32')],
    ),
  );
  out.push(
    program(
      'gather i32 data',
      (t, i) => k.gather(t, i!, 0),
      () => [ints([4, 2], 33), k.tensor([1, 1, 0], undefined, 'i32')],
    ),
  );
  return out;
}

const MATMUL_CASES: [string, number[], number[], boolean, boolean][] = [
  ['matmul', [3, 4], [4, 5], false, false],
  ['matmul transposeA', [4, 3], [4, 5], true, false],
  ['matmul transposeB', [3, 4], [5, 4], false, true],
  ['matmul both transposed', [4, 3], [5, 4], true, true],
  ['matmul batch', [2, 3, 4], [2, 4, 5], false, false],
  ['matmul broadcast batch', [2, 1, 3, 4], [3, 4, 5], false, false],
];

function matmulPrograms(): Program[] {
  const out: Program[] = [];
  for (const [name, sa, sb, transposeA, transposeB] of MATMUL_CASES) {
    const inputs = (): Tensor[] => [uniform(sa, 34), uniform(sb, 35)];
    const f: Fn = (a, b) => k.matmul(a!, b!, { transposeA, transposeB });
    out.push(program(name, f, inputs));
    out.push(gradProgram(name, f, inputs));
  }
  out.push(
    program(
      'matmul i32',
      (a, b) => k.matmul(a!, b!),
      () => [ints([3, 4], 36), ints([4, 2], 37)],
    ),
  );
  return out;
}

interface Mlp {
  w1: Variable;
  b1: Variable;
  w2: Variable;
  b2: Variable;
}

function makeMlp(seed: number): Mlp {
  return {
    w1: k.variable(k.glorotUniform([8, 16], seed), { name: 'w1' }),
    b1: k.variable(k.zeros([16]), { name: 'b1' }),
    w2: k.variable(k.glorotUniform([16, 4], seed + 1), { name: 'w2' }),
    b2: k.variable(k.zeros([4]), { name: 'b2' }),
  };
}

function mlpLoss(p: Mlp, x: Tensor, y: Tensor): Tensor {
  const h = k.relu(k.dense(x, p.w1, p.b1));
  return k.softmaxCrossEntropy(k.dense(h, p.w2, p.b2), y);
}

function trainingProgram(name: string, makeOptimizer: () => k.Optimizer): Program {
  return {
    name,
    setup: () => {
      const params = makeMlp(40);
      const opt = makeOptimizer();
      const step = (x: Tensor, y: Tensor): Tensor => {
        const [loss, grads] = k.valueAndGrad(mlpLoss)(params, x, y);
        opt.apply(params, grads);
        return loss;
      };
      const x = uniform([6, 8], 41);
      const y = k.tensor([0, 1, 2, 3, 1, 2], undefined, 'i32');
      const run: ProgramRun = { fn: step as ProgramRun['fn'], args: [x, y], steps: 5 };
      // Optimizer state variables appear on the first step; list them lazily through a getter.
      Object.defineProperty(run, 'variables', {
        get: () => [
          ...Object.values(params),
          opt.iterations,
          ...[...opt.state.values()].flatMap((s) => Object.values(s)),
        ],
      });
      return run;
    },
  };
}

/** An MLP step with dropout from a Generator and a clipped gradient: the generator's state advances each call. */
function clippedDropoutProgram(): Program {
  return {
    name: 'MLP train step (dropout from a Generator, clipByGlobalNorm, SGD)',
    setup: () => {
      const params = makeMlp(42);
      const gen = k.random.generator(3);
      const opt = k.sgd(0.1);
      const loss = (p: Mlp, x: Tensor, y: Tensor): Tensor => {
        const h = k.dropout(k.relu(k.dense(x, p.w1, p.b1)), 0.25, gen);
        return k.softmaxCrossEntropy(k.dense(h, p.w2, p.b2), y);
      };
      const step = (x: Tensor, y: Tensor): Tensor => {
        const [value, grads] = k.valueAndGrad(loss)(params, x, y);
        opt.apply(params, k.clipByGlobalNorm(grads, 0.5));
        return value;
      };
      const x = uniform([6, 8], 43);
      const y = k.tensor([3, 1, 2, 0, 1, 2], undefined, 'i32');
      return { fn: step as ProgramRun['fn'], args: [x, y], steps: 4, variables: [...Object.values(params), gen.state] };
    },
  };
}

function attention(q: Tensor, kk: Tensor, v: Tensor): Tensor {
  const scores = k.div(k.matmul(q, kk, { transposeB: true }), Math.sqrt(q.shape.at(-1)!));
  return k.matmul(k.softmax(scores, -1), v);
}

/** GELU (tanh form) written out as separate ops, as the benchmarks do. */
export function geluChain(x: Tensor): Tensor {
  const inner = k.mul(k.add(x, k.mul(k.mul(k.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return k.mul(k.mul(x, 0.5), k.add(k.tanh(inner), 1));
}

function compositePrograms(): Program[] {
  const x = (): Tensor[] => [uniform([4, 7], 50)];
  const ln = (): Tensor[] => [uniform([4, 7], 51), uniform([7], 52, 0.5, 1.5), uniform([7], 53)];
  const qkv = (): Tensor[] => [uniform([2, 5, 8], 54), uniform([2, 5, 8], 55), uniform([2, 5, 8], 56)];
  const cases: [string, Fn, () => Tensor[]][] = [
    ['softmax', (t) => k.softmax(t), x],
    ['logSoftmax', (t) => k.logSoftmax(t, 0), x],
    ['layernorm', (t, g, b) => k.layerNorm(t, g, b), ln],
    ['gelu chain', geluChain, x],
    ['attention', attention as Fn, qkv],
    ['mse', (a, b) => k.mse(a!, b!), () => [uniform([3, 4], 57), uniform([3, 4], 58)]],
  ];
  const out: Program[] = [];
  for (const [name, f, inputs] of cases) {
    out.push(program(name, f, inputs));
    out.push(gradProgram(name, f, inputs));
  }
  out.push(trainingProgram('MLP train step (SGD)', () => k.sgd({ learningRate: 0.1 })));
  out.push(trainingProgram('MLP train step (Adam)', () => k.adam({ learningRate: 0.01 })));
  out.push(trainingProgram('MLP train step (momentum)', () => k.momentum({ learningRate: 0.05, nesterov: true })));
  out.push(
    trainingProgram('MLP train step (RMSprop, centered, momentum)', () =>
      k.rmsprop(0.01, { momentum: 0.5, centered: true }),
    ),
  );
  out.push(trainingProgram('MLP train step (Adagrad)', () => k.adagrad(0.1)));
  out.push(
    trainingProgram('MLP train step (AdamW, warm-up then cosine decay)', () =>
      k.adamw(k.linearWarmup(k.cosineDecay({ initialValue: 0.02, decaySteps: 3 }), { warmupSteps: 2 })),
    ),
  );
  out.push(clippedDropoutProgram());
  out.push({
    name: 'random: bits, split, uniform, normal, bernoulli from a key argument',
    setup: () => ({
      fn: ((key: Tensor) => [
        k.random.bits(key, [7]),
        k.random.split(key, 3),
        k.random.uniform(key, [5, 3], { min: -2, max: 3 }),
        k.random.normal(k.random.keyAt(k.random.split(key), 1), [9]),
        k.random.bernoulli(key, 0.3, [2, 5]),
      ]) as ProgramRun['fn'],
      args: [k.tensor([7, -123456789], undefined, 'i32')],
    }),
  });
  out.push({
    name: 'grad of grad (tanh)',
    setup: () => ({
      fn: ((t: Tensor) =>
        k.grad((u: Tensor) => k.sum(k.grad((w: Tensor) => k.sum(k.tanh(w)))(u)))(t)) as ProgramRun['fn'],
      args: [uniform([5], 59)],
    }),
  });
  return out;
}

/** Every program of the catalogue. */
export const PROGRAMS: readonly Program[] = [
  ...elementwisePrograms(),
  ...reductionPrograms(),
  ...layoutPrograms(),
  ...matmulPrograms(),
  ...compositePrograms(),
];

/** The composite programs only (the ones the issues name). */
export const COMPOSITE_PROGRAMS: readonly Program[] = compositePrograms();
