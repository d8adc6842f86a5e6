import { describe, expect, it, jest } from '@jest/globals';
import {
  abs,
  add,
  bind,
  broadcastTo,
  cast,
  ceil,
  concat,
  cos,
  dense,
  div,
  equal,
  erf,
  exp,
  expandDims,
  expm1,
  floor,
  gather,
  gelu,
  grad,
  greater,
  layerNorm,
  leakyRelu,
  log,
  log1p,
  logicalNot,
  logSoftmax,
  logSumExp,
  matmul,
  max,
  maximum,
  mean,
  min,
  minimum,
  mod,
  mse,
  mul,
  neg,
  oneHot,
  pad,
  pow,
  print,
  prod,
  reciprocal,
  relu,
  reshape,
  round,
  rsqrt,
  scalar,
  sigmoid,
  sign,
  sin,
  slice,
  softmax,
  softmaxCrossEntropy,
  softplus,
  silu,
  hardSigmoid,
  sqrt,
  square,
  squeeze,
  stack,
  stopGradient,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
  valueAndGrad,
  Variable,
  where,
  argmax,
  argmin,
  less,
  lessEqual,
  greaterEqual,
  notEqual,
  logicalAnd,
  logicalOr,
  type OpName,
  type Tensor,
  random,
} from '../src/index.ts';
import { checkGradients, expectTensor, randomTensor } from './helpers.ts';

/** sum(y * w) for a fixed seeded w: reduces an op's output to a scalar without symmetry. */
function weighted(y: Tensor, seed = 99): Tensor {
  return sum(mul(y, randomTensor(y.shape, seed)));
}

/** Inputs for a gradient check; values are placed away from kinks, ties and poles. */
const r = randomTensor;
const positive = (shape: number[], seed: number) => randomTensor(shape, seed, 0.5, 2);
const awayFromZero = (shape: number[], seed: number) => mul(sign(r(shape, seed)), positive(shape, seed + 100));

interface GradCase {
  name: string;
  f: (...xs: Tensor[]) => Tensor;
  inputs: Tensor[];
}
const unary = (name: string, op: (x: Tensor) => Tensor, x: Tensor = r([2, 3], 1)): GradCase => ({
  name,
  f: (a) => weighted(op(a)),
  inputs: [x],
});
/** A binary op over several broadcasting shape pairs. */
const binaryCases = (
  name: string,
  op: (a: Tensor, b: Tensor) => Tensor,
  make: (shape: number[], seed: number) => Tensor = r,
  makeB: (shape: number[], seed: number) => Tensor = make,
): GradCase[] =>
  (
    [
      [
        [2, 3],
        [2, 3],
      ],
      [[2, 3], [3]],
      [
        [2, 1],
        [1, 3],
      ],
      [[2, 3], []],
      [[], [3, 1]],
    ] as [number[], number[]][]
  ).map(([sa, sb], i) => ({
    name: `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
    f: (a, b) => weighted(op(a, b)),
    inputs: [make(sa, 10 + i), makeB(sb, 20 + i)],
  }));

/** Ops whose gradient is zero or that take no f32 input: tested apart, below. */
type NoGradient =
  | 'sign'
  | 'floor'
  | 'ceil'
  | 'round'
  | 'logicalNot'
  | 'stopGradient'
  | 'equal'
  | 'notEqual'
  | 'less'
  | 'lessEqual'
  | 'greater'
  | 'greaterEqual'
  | 'logicalAnd'
  | 'logicalOr'
  | 'argmax'
  | 'argmin'
  | 'oneHot'
  | 'randomBits';

/** Gradient checks for every differentiable op; the Record type makes a missing op a compile error. */
const GRAD_CASES: Record<Exclude<OpName, NoGradient>, GradCase[]> = {
  neg: [unary('neg', neg)],
  abs: [unary('abs', abs, awayFromZero([2, 3], 1))],
  exp: [unary('exp', exp)],
  log: [unary('log', log, positive([2, 3], 1))],
  log1p: [unary('log1p', log1p, r([2, 3], 1, -0.5, 2))],
  expm1: [unary('expm1', expm1)],
  sqrt: [unary('sqrt', sqrt, positive([2, 3], 1))],
  rsqrt: [unary('rsqrt', rsqrt, positive([2, 3], 1))],
  square: [unary('square', square)],
  reciprocal: [unary('reciprocal', reciprocal, awayFromZero([2, 3], 1))],
  sin: [unary('sin', sin, r([2, 3], 1, -3, 3))],
  cos: [unary('cos', cos, r([2, 3], 1, -3, 3))],
  tanh: [unary('tanh', tanh, r([2, 3], 1, -2, 2))],
  sigmoid: [unary('sigmoid', sigmoid, r([2, 3], 1, -3, 3))],
  relu: [unary('relu', relu, awayFromZero([2, 3], 1))],
  leakyRelu: [unary('leakyRelu', (x) => leakyRelu(x, 0.1), awayFromZero([2, 3], 1))],
  gelu: [
    unary('gelu tanh form', (x) => gelu(x), r([2, 3], 1, -3, 3)),
    unary('gelu erf form', (x) => gelu(x, { approximate: false }), r([2, 3], 1, -3, 3)),
  ],
  erf: [unary('erf', erf, r([2, 3], 1, -2, 2))],
  softplus: [unary('softplus', softplus, r([2, 3], 1, -3, 3))],
  silu: [unary('silu', silu, r([2, 3], 1, -4, 4))],
  // Both flat sides and the slope, away from the kinks at ±3.
  hardSigmoid: [unary('hardSigmoid', hardSigmoid, tensor([-4.5, -2.9, -1, 0.5, 2.8, 3.5], [2, 3]))],
  // cast() skips a same-dtype cast, so bind the primitive to reach its gradient rule.
  cast: [unary('cast f32 -> f32', (x) => bind('cast', [mul(x, 2)], { dtype: 'f32' }))],
  print: [unary('print', (x) => print(x, 'grad test'))],

  add: binaryCases('add', add),
  sub: binaryCases('sub', sub),
  mul: binaryCases('mul', mul),
  div: binaryCases('div', div, r, awayFromZero),
  pow: [
    ...binaryCases('pow', pow, positive, (s, seed) => r(s, seed, -2, 2)),
    { name: 'pow with a constant exponent', f: (x) => weighted(pow(x, 3)), inputs: [r([4], 5)] },
  ],
  maximum: binaryCases('maximum', maximum),
  minimum: binaryCases('minimum', minimum),
  mod: binaryCases(
    'mod',
    mod,
    (s, seed) => r(s, seed, 0.1, 0.9),
    (s, seed) => r(s, seed, 1.1, 1.9),
  ),
  where: [
    {
      name: 'where',
      f: (a, b) =>
        weighted(
          where(
            tensor([
              [true, false, true],
              [false, false, true],
            ]),
            a,
            b,
          ),
        ),
      inputs: [r([2, 3], 1), r([2, 3], 2)],
    },
    {
      name: 'where broadcasting',
      f: (a, b) => weighted(where(tensor([[true], [false]]), a, b)),
      inputs: [r([3], 1), r([2, 1], 2)],
    },
  ],

  sum: [
    { name: 'sum all', f: (x) => sum(mul(x, x)), inputs: [r([2, 3], 1)] },
    { name: 'sum axis 1', f: (x) => weighted(sum(x, 1)), inputs: [r([2, 3, 2], 1)] },
    { name: 'sum axes [0,2] keepDims', f: (x) => weighted(sum(x, [0, -1], true)), inputs: [r([2, 3, 2], 1)] },
  ],
  prod: [
    { name: 'prod axis 1', f: (x) => weighted(prod(x, 1)), inputs: [r([2, 3], 1)] },
    {
      name: 'prod with one zero',
      f: (x) => weighted(prod(x, 1)),
      inputs: [
        tensor([
          [0.5, 0, 2],
          [1.5, -1, 0.7],
        ]),
      ],
    },
    {
      name: 'prod with two zeros',
      f: (x) => weighted(prod(x, 0, true)),
      inputs: [
        tensor([
          [0, 0, 2],
          [0, -1, 0.7],
        ]),
      ],
    },
  ],
  max: [
    { name: 'max axis -1', f: (x) => weighted(max(x, -1)), inputs: [r([2, 4], 1)] },
    { name: 'max all', f: (x) => max(x), inputs: [r([2, 3], 2)] },
  ],
  min: [{ name: 'min axes [0,1] keepDims', f: (x) => weighted(min(x, [0, 1], true)), inputs: [r([2, 3, 2], 1)] }],

  reshape: [unary('reshape', (x) => reshape(x, [3, -1]))],
  transpose: [unary('transpose', (x) => transpose(x, [2, 0, 1]), r([2, 3, 2], 1))],
  broadcastTo: [unary('broadcastTo', (x) => broadcastTo(x, [4, 2, 3]), r([2, 1], 1))],
  slice: [unary('slice', (x) => slice(x, [1, -3], [1, 2]), r([2, 4], 1))],
  concat: [
    {
      name: 'concat',
      f: (a, b, c) => weighted(concat([a, b, c], 1)),
      inputs: [r([2, 1], 1), r([2, 3], 2), r([2, 2], 3)],
    },
  ],
  pad: [
    unary('pad', (x) =>
      pad(
        x,
        [
          [1, 0],
          [2, 1],
        ],
        3,
      ),
    ),
  ],
  gather: [
    { name: 'gather repeated indices', f: (x) => weighted(gather(x, [2, 0, 2, 2])), inputs: [r([3, 2], 1)] },
    {
      name: 'gather axis 1, 2-d indices',
      f: (x) =>
        weighted(
          gather(
            x,
            tensor(
              [
                [1, 1],
                [0, 2],
              ],
              undefined,
              'i32',
            ),
            1,
          ),
        ),
      inputs: [r([2, 3], 1)],
    },
  ],
  scatterAdd: [
    {
      name: 'scatterAdd',
      inputs: [r([4, 2], 1)],
      f: (u) => weighted(bind('scatterAdd', [u, tensor([2, 0, 2, 1], undefined, 'i32')], { axis: 0, dimSize: 3 })),
    },
  ],
  matmul: [
    ...(
      [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const
    ).map(([tA, tB]) => ({
      name: `matmul transposeA=${tA} transposeB=${tB}`,
      f: (a: Tensor, b: Tensor) => weighted(matmul(a, b, { transposeA: tA, transposeB: tB })),
      inputs: [r(tA ? [3, 2] : [2, 3], 1), r(tB ? [4, 3] : [3, 4], 2)],
    })),
    { name: 'matmul batch times matrix', f: (a, b) => weighted(matmul(a, b)), inputs: [r([2, 2, 3], 1), r([3, 2], 2)] },
    {
      name: 'matmul broadcast batch dims',
      f: (a, b) => weighted(matmul(a, b, { transposeB: true })),
      inputs: [r([2, 1, 2, 3], 1), r([3, 2, 3], 2)],
    },
    {
      name: 'matmul broadcast batch dims, transposeA',
      f: (a, b) => weighted(matmul(a, b, { transposeA: true })),
      inputs: [r([1, 3, 2], 1), r([2, 1, 3, 2], 2)],
    },
  ],
};

/** Compositions: the helpers users call most, checked end to end. */
const COMPOSITE_CASES: GradCase[] = [
  { name: 'mean', f: (x) => weighted(mean(x, 0)), inputs: [r([3, 2], 1)] },
  { name: 'logSumExp', f: (x) => weighted(logSumExp(x, -1)), inputs: [r([2, 3], 1, -3, 3)] },
  { name: 'logSumExp keepDims over all', f: (x) => weighted(logSumExp(x, undefined, true)), inputs: [r([2, 3], 1)] },
  { name: 'expandDims and squeeze', f: (x) => weighted(squeeze(expandDims(x, 1))), inputs: [r([2, 3], 1)] },
  { name: 'stack', f: (a, b) => weighted(stack([a, b], 1)), inputs: [r([2, 3], 1), r([2, 3], 2)] },
  { name: 'softmax', f: (x) => weighted(softmax(x)), inputs: [r([2, 4], 1, -2, 2)] },
  { name: 'logSoftmax axis 0', f: (x) => weighted(logSoftmax(x, 0)), inputs: [r([3, 2], 1, -2, 2)] },
  { name: 'softmaxCrossEntropy', f: (z) => softmaxCrossEntropy(z, [2, 0, 1]), inputs: [r([3, 4], 1, -2, 2)] },
  { name: 'mse', f: (p, t) => mse(p, t), inputs: [r([2, 3], 1), r([2, 3], 2)] },
  {
    name: 'layerNorm with gamma and beta',
    f: (x, g, b) => weighted(layerNorm(x, g, b)),
    inputs: [r([2, 4], 1, -2, 2), r([4], 2), r([4], 3)],
  },
  { name: 'dense', f: (x, w, b) => weighted(tanh(dense(x, w, b))), inputs: [r([3, 2], 1), r([2, 4], 2), r([4], 3)] },
  {
    name: 'a chain of elementwise ops',
    f: (x) => sum(div(exp(sin(x)), add(square(x), 1))),
    inputs: [r([5], 1, -2, 2)],
  },
];

describe('gradients match central differences', () => {
  const cases = [...Object.values(GRAD_CASES).flat(), ...COMPOSITE_CASES].map((c) => [c.name, c] as const);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);

  it.each(cases)('%s', (_name, { f, inputs }) => {
    checkGradients(f, inputs);
  });

  it('print ran (and printed) under grad', () => {
    expect(log).toHaveBeenCalledWith(expect.stringMatching(/^grad test: Tensor f32\[2,3\]/));
    log.mockRestore();
  });
});

describe('gradients at kinks and ties (hand-computed)', () => {
  it('max and min share the gradient equally between tied maxima', () => {
    expectTensor(grad((x: Tensor) => max(x))(tensor([1, 3, 3])), [3], [0, 0.5, 0.5]);
    expectTensor(
      grad((x: Tensor) => sum(min(x, 1)))(
        tensor([
          [2, 2, 2],
          [1, 0, 5],
        ]),
      ),
      [2, 3],
      [
        [1 / 3, 1 / 3, 1 / 3],
        [0, 1, 0],
      ],
    );
  });

  it('maximum and minimum send a tie to the first operand', () => {
    const [da, db] = grad((a: Tensor, b: Tensor) => sum(maximum(a, b)), [0, 1])(tensor([1, 2, 3]), tensor([1, 1, 4]));
    expectTensor(da!, [3], [1, 1, 0]);
    expectTensor(db!, [3], [0, 0, 1]);
    const [ea, eb] = grad((a: Tensor, b: Tensor) => sum(minimum(a, b)), [0, 1])(tensor([1, 2]), tensor([1, 1]));
    expectTensor(ea!, [2], [1, 0]);
    expectTensor(eb!, [2], [0, 1]);
  });

  it('relu, abs and leakyRelu at 0', () => {
    expectTensor(grad((x: Tensor) => sum(relu(x)))(tensor([-1, 0, 2])), [3], [0, 0, 1]);
    expectTensor(grad((x: Tensor) => sum(abs(x)))(tensor([-1, 0, 2])), [3], [-1, 0, 1]);
    expectTensor(grad((x: Tensor) => sum(leakyRelu(x, 0.1)))(tensor([-1, 0, 2])), [3], [0.1, 0.1, 1]);
  });

  it('prod with zeros: only a lone zero sees the product of the others', () => {
    expectTensor(grad((x: Tensor) => prod(x))(tensor([2, 0, 3])), [3], [0, 6, 0]);
    expectTensor(grad((x: Tensor) => prod(x))(tensor([0, 0, 3])), [3], [0, 0, 0]);
    expectTensor(grad((x: Tensor) => prod(x))(tensor([2, 4, 3])), [3], [12, 6, 8]);
  });

  it('pow: d/db at a = 0 is 0; d/da of x^2 at 0 is 0', () => {
    const [da, db] = grad((a: Tensor, b: Tensor) => sum(pow(a, b)), [0, 1])(tensor([0, 2]), tensor([2, 3]));
    expectTensor(da!, [2], [0, 12]);
    expectTensor(db!, [2], [0, 8 * Math.log(2)]);
  });

  it('gather with repeated indices adds the gradients up', () => {
    expectTensor(grad((x: Tensor) => sum(gather(x, [1, 1, 0, 1])))(tensor([5, 6, 7])), [3], [1, 3, 0]);
  });
});

describe('ops without a gradient give zeros', () => {
  const NO_GRADIENT: Record<NoGradient, (x: Tensor) => Tensor> = {
    sign: sign,
    floor: floor,
    ceil: ceil,
    round: round,
    stopGradient: stopGradient,
    logicalNot: (x) => cast(logicalNot(greater(x, 0)), 'f32'),
    equal: (x) => cast(equal(x, 0.5), 'f32'),
    notEqual: (x) => cast(notEqual(x, 0.5), 'f32'),
    less: (x) => cast(less(x, 0), 'f32'),
    lessEqual: (x) => cast(lessEqual(x, 0), 'f32'),
    greater: (x) => cast(greater(x, 0), 'f32'),
    greaterEqual: (x) => cast(greaterEqual(x, 0), 'f32'),
    logicalAnd: (x) => cast(logicalAnd(greater(x, 0), less(x, 1)), 'f32'),
    logicalOr: (x) => cast(logicalOr(greater(x, 0), less(x, -1)), 'f32'),
    argmax: (x) => cast(argmax(x), 'f32'),
    argmin: (x) => cast(argmin(x), 'f32'),
    oneHot: (x) => oneHot(cast(x, 'i32'), 3),
    // Random numbers keyed by (a cast of) x: no gradient flows back to x.
    randomBits: (x) => random.uniform(cast(slice(x, [0], [2]), 'i32'), [3]),
  };

  it.each(Object.entries(NO_GRADIENT))('%s', (_op, op) => {
    const x = tensor([-1.3, 0.2, 1.7]);
    const g = grad((t: Tensor) => sum(mul(op(t), 2)))(x);
    expectTensor(g, [3], [0, 0, 0]);
  });

  it('casting to i32 and back cuts the gradient; stopGradient cuts one path only', () => {
    expectTensor(grad((x: Tensor) => sum(cast(cast(x, 'i32'), 'f32')))(tensor([1.5, 2.5])), [2], [0, 0]);
    expectTensor(grad((x: Tensor) => sum(mul(x, stopGradient(x))))(tensor([3, -2])), [2], [3, -2]);
  });

  it('a function that ignores its input has a zero gradient; the identity has gradient 1', () => {
    expectTensor(grad((_x: Tensor) => scalar(4))(tensor([1, 2])), [2], [0, 0]);
    expectTensor(grad((x: Tensor) => x)(scalar(3)), [], [1]);
    expectTensor(grad((x: Tensor) => reshape(x, [1]))(scalar(3)), [], [1]);
  });
});

describe('higher-order gradients', () => {
  it('second and third derivatives of x^3', () => {
    const d1 = grad((x: Tensor) => pow(x, 3));
    const d2 = grad((x: Tensor) => d1(x));
    const d3 = grad((x: Tensor) => d2(x));
    expectTensor(d1(scalar(2)), [], [12]);
    expectTensor(d2(scalar(2)), [], [12]);
    expectTensor(d2(scalar(-0.5)), [], [-3]);
    expectTensor(d3(scalar(1.5)), [], [6]);
  });

  it('second derivative of tanh is -2·tanh·(1 - tanh²)', () => {
    const d2 = grad((x: Tensor) => grad((y: Tensor) => sum(tanh(y)))(x).sum());
    const xs = [-1.5, -0.3, 0, 0.7, 2];
    expectTensor(
      d2(tensor(xs)),
      [5],
      xs.map((x) => -2 * Math.tanh(x) * (1 - Math.tanh(x) ** 2)),
      1e-5,
      1e-6,
    );
  });

  /** A small MLP loss, differentiated w.r.t. its input. */
  const w1 = randomTensor([3, 5], 31);
  const w2 = randomTensor([5, 2], 32);
  const mlpLoss = (x: Tensor) => sum(square(matmul(tanh(matmul(x, w1)), w2)));

  it.each<[string, (x: Tensor) => Tensor]>([
    ['MLP loss', mlpLoss],
    ['sigmoid · exp', (x) => sum(mul(sigmoid(x), exp(mul(x, 0.5))))],
    ['max and gather', (x) => sum(square(max(gather(x, [0, 2, 2], 1), 1)))],
    ['prod and pow', (x) => prod(pow(add(square(x), 1), 1.5))],
    ['logSoftmax', (x) => sum(mul(logSoftmax(x), randomTensor(x.shape, 33)))],
    ['layerNorm', (x) => weighted(square(layerNorm(x)))],
    ['gelu erf form', (x) => sum(gelu(x, { approximate: false }))],
  ])('Hessian-vector products of %s match differences of its gradient', (_name, loss) => {
    const x = randomTensor([2, 3], 34);
    const hv = (t: Tensor) => weighted(grad(loss)(t), 35);
    checkGradients(hv, [x], { rtol: 2e-2, atol: 2e-3 });
  });
});

describe('grad arguments and pytrees', () => {
  it('argnums as a number picks one argument; as a list returns a list', () => {
    const f = (a: Tensor, b: Tensor) => sum(mul(a, b));
    const a = tensor([1, 2]);
    const b = tensor([3, 4]);
    expectTensor(grad(f)(a, b), [2], [3, 4]);
    expectTensor(grad(f, 1)(a, b), [2], [1, 2]);
    const [ga, gb] = grad(f, [1, 0])(a, b);
    expectTensor(ga!, [2], [1, 2]);
    expectTensor(gb!, [2], [3, 4]);
    expect(grad(f, [])(a, b)).toEqual([]);
  });

  it('the same tensor passed twice gets one gradient per position', () => {
    const x = tensor([2, 3]);
    const [g0, g1] = grad((a: Tensor, b: Tensor) => sum(mul(square(a), b)), [0, 1])(x, x);
    expectTensor(g0!, [2], [8, 18]);
    expectTensor(g1!, [2], [4, 9]);
  });

  it('a tensor passed as the argument and also closed over is a constant where it is closed over', () => {
    const x = tensor([3, -1]);
    expectTensor(grad((y: Tensor) => sum(mul(y, x)))(x), [2], [3, -1]);
    const v = new Variable(tensor([2]));
    expectTensor(grad((w: Tensor) => sum(mul(square(w), v)))(v), [1], [8]);
  });

  it('nested grads keep their perturbations apart', () => {
    // d/dx [d/dy (y·x) at y = x] = d/dx x = 1, not d/dx 2x.
    const outer = grad((x: Tensor) => grad((y: Tensor) => mul(y, x))(x));
    expectTensor(outer(scalar(2)), [], [1]);
    // d/dx [x · d/dy (x + y)] = d/dx x = 1
    expectTensor(grad((x: Tensor) => mul(x, grad((y: Tensor) => add(x, y))(scalar(1))))(scalar(5)), [], [1]);
    // d/dx [d/dy (x·y²) at y = 3] = d/dx 6x = 6
    expectTensor(grad((x: Tensor) => grad((y: Tensor) => mul(x, square(y)))(scalar(3)))(scalar(0.5)), [], [6]);
  });

  it('valueAndGrad returns the value too', () => {
    const [value, g] = valueAndGrad((x: Tensor) => sum(square(x)))(tensor([1, 2, 3]));
    expectTensor(value, [], [14]);
    expectTensor(g, [3], [2, 4, 6]);
    const [v2, gs] = valueAndGrad((a: Tensor, b: Tensor) => sum(mul(a, b)), [0, 1])(tensor([2]), tensor([5]));
    expectTensor(v2, [], [10]);
    expectTensor(gs[0]!, [1], [5]);
    expectTensor(gs[1]!, [1], [2]);
  });

  it('gradients of nested arrays and objects of tensors and Variables keep the structure', () => {
    const params = {
      w: new Variable(
        tensor([
          [1, 2],
          [3, 4],
        ]),
        { name: 'w' },
      ),
      layers: [tensor([0.5, -1]), { b: new Variable(tensor([2])), scale: 3 }],
    };
    type P = typeof params;
    const x = tensor([[1, 1]]);
    const loss = (p: P, input: Tensor) => {
      const [v, inner] = p.layers as [Tensor, { b: Tensor; scale: Tensor }];
      const h = add(matmul(input, p.w as unknown as Tensor), v);
      return mul(sum(mul(h, inner.b)), inner.scale);
    };
    const g = grad(loss)(params, x);
    expect(Object.keys(g)).toEqual(['w', 'layers']);
    expect(g.w).not.toBeInstanceOf(Variable);
    // h = x·w + v = [4.5, 5]; loss = 3·2·(4.5 + 5) = 57
    expectTensor(
      g.w,
      [2, 2],
      [
        [6, 6],
        [6, 6],
      ],
    );
    const [gv, inner] = g.layers as unknown as [Tensor, { b: Tensor; scale: Tensor }];
    expectTensor(gv, [2], [6, 6]);
    expectTensor(inner.b, [1], [28.5]);
    expectTensor(inner.scale, [], [19]);
    expectTensor(valueAndGrad(loss)(params, x)[0], [], [57]);
    // The variables are read, not changed.
    expectTensor(
      params.w.value,
      [2, 2],
      [
        [1, 2],
        [3, 4],
      ],
    );
  });

  it('gradients of an array argument come back as an array', () => {
    const g = grad((xs: Tensor[]) => sum(mul(xs[0]!, xs[1]!)))([tensor([1, 2]), tensor([3, 4])]);
    expect(Array.isArray(g)).toBe(true);
    expectTensor(g[0]!, [2], [3, 4]);
    expectTensor(g[1]!, [2], [1, 2]);
  });
});
