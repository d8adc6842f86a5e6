/**
 * @file The gradient (vector-Jacobian product) of every op, written with the op functions
 * themselves, so the backward pass runs eagerly, is recorded into a trace, or is differentiated
 * again, depending only on the context it runs in. A rule returns one cotangent per input, or
 * null where an input gets no gradient; `needs[i]` says whether input i wants one at all.
 */
import type { Tensor } from '../tensor.ts';
import type { OpAttrs, OpName } from './names.ts';
import { bind } from '../context.ts';
import {
  add,
  broadcastTo,
  cast,
  cos,
  div,
  equal,
  erf,
  exp,
  floor,
  gather,
  greater,
  greaterEqual,
  lessEqual,
  log,
  matmul,
  mul,
  neg,
  pad,
  pow,
  prod,
  reshape,
  sigmoid,
  sign,
  sin,
  slice,
  square,
  sub,
  sum,
  sumToShape,
  tanh,
  transpose,
  where,
} from './api.ts';

export type VjpRule<K extends OpName> = (
  g: Tensor,
  inputs: readonly Tensor[],
  out: Tensor,
  attrs: OpAttrs[K],
  needs: readonly boolean[],
) => (Tensor | null)[];

const none = (): null[] => [null];
const noGradients = (_g: Tensor, inputs: readonly Tensor[]): null[] => inputs.map(() => null);

/** A rule for an elementwise unary op from its derivative dy/dx. */
function chain<K extends OpName>(derivative: (x: Tensor, y: Tensor, attrs: OpAttrs[K]) => Tensor): VjpRule<K> {
  return (g, [x], y, attrs) => [mul(g, derivative(x!, y, attrs))];
}

/** Reverses a reduction's shape change: g broadcast back over the reduced axes. */
function unreduce(g: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  return broadcastTo(reshape(g, kept), x.shape);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function geluDerivative(x: Tensor, approximate: boolean): Tensor {
  if (!approximate) {
    // d/dx x·Φ(x) = Φ(x) + x·φ(x)
    const cdf = mul(0.5, add(1, erf(mul(x, Math.SQRT1_2))));
    return add(cdf, mul(x, mul(INV_SQRT_2PI, exp(mul(-0.5, square(x))))));
  }
  // y = x/2·(1 + tanh(u)), u = c·(x + 0.044715·x³): y' = (1 + t)/2 + x/2·(1 - t²)·c·(1 + 3·0.044715·x²)
  const x2 = square(x);
  const t = tanh(mul(SQRT_2_OVER_PI, add(x, mul(0.044715, mul(x, x2)))));
  const du = mul(SQRT_2_OVER_PI, add(1, mul(3 * 0.044715, x2)));
  return add(mul(0.5, add(1, t)), mul(mul(0.5, x), mul(sub(1, square(t)), du)));
}

/** d/dx of prod over axes, also right when x holds zeros: the product of the other entries. */
function prodOthers(x: Tensor, y: Tensor, axes: readonly number[]): Tensor {
  const isZero = equal(x, 0);
  const zeros = sum(cast(isZero, 'f32'), axes, true);
  const nonzeroProd = prod(where(isZero, 1, x), axes, true);
  const yKeep = reshape(y, nonzeroProd.shape);
  const safeX = where(isZero, 1, x);
  // Only a zero entry, when it is the sole zero, sees a non-zero product of the others.
  return where(isZero, where(equal(zeros, 1), nonzeroProd, 0), div(yKeep, safeX));
}

/** Cotangents of matmul for each stored operand layout (transposes fold into the products). */
const matmulVjp: VjpRule<'matmul'> = (g, [a, b], _y, { transposeA: tA, transposeB: tB }, needs) => {
  const da = !needs[0]
    ? null
    : tA
      ? matmul(b!, g, { transposeA: tB, transposeB: true })
      : matmul(g, b!, { transposeB: !tB });
  const db = !needs[1]
    ? null
    : tB
      ? matmul(g, a!, { transposeA: true, transposeB: tA })
      : matmul(a!, g, { transposeA: !tA });
  return [da && sumToShape(da, a!.shape), db && sumToShape(db, b!.shape)];
};

export const vjpRules: { [K in OpName]: VjpRule<K> } = {
  neg: (g) => [neg(g)],
  abs: chain((x) => sign(x)),
  sign: none,
  exp: chain((_x, y) => y),
  log: (g, [x]) => [div(g, x!)],
  log1p: (g, [x]) => [div(g, add(x!, 1))],
  expm1: chain((_x, y) => add(y, 1)),
  sqrt: (g, _x, y) => [div(g, mul(y, 2))],
  rsqrt: chain((x, y) => mul(-0.5, div(y, x))),
  square: chain((x) => mul(x, 2)),
  reciprocal: chain((_x, y) => neg(square(y))),
  sin: chain((x) => cos(x)),
  cos: chain((x) => neg(sin(x))),
  tanh: chain((_x, y) => sub(1, square(y))),
  sigmoid: chain((_x, y) => mul(y, sub(1, y))),
  // From the output: y > 0 exactly where x > 0, and using y lets the producer of x fuse into relu.
  relu: (g, _x, y) => [where(greater(y, 0), g, 0)],
  leakyRelu: (g, [x], y, { alpha }) => [where(greater(alpha >= 0 ? y : x!, 0), g, mul(g, alpha))],
  gelu: chain((x, _y, { approximate }) => geluDerivative(x, approximate)),
  erf: chain((x) => mul(2 / Math.sqrt(Math.PI), exp(neg(square(x))))),
  softplus: chain((x) => sigmoid(x)),
  floor: none,
  ceil: none,
  round: none,
  logicalNot: none,
  stopGradient: none,
  cast: (g, [x]) => [x!.dtype === 'f32' && g.dtype === 'f32' ? g : null],
  print: (g) => [g],

  add: (g, [a, b]) => [sumToShape(g, a!.shape), sumToShape(g, b!.shape)],
  sub: (g, [a, b], _y, _attrs, needs) => [sumToShape(g, a!.shape), needs[1] ? sumToShape(neg(g), b!.shape) : null],
  mul: (g, [a, b], _y, _attrs, needs) => [
    needs[0] ? sumToShape(mul(g, b!), a!.shape) : null,
    needs[1] ? sumToShape(mul(g, a!), b!.shape) : null,
  ],
  div: (g, [a, b], y, _attrs, needs) => [
    needs[0] ? sumToShape(div(g, b!), a!.shape) : null,
    needs[1] ? sumToShape(neg(mul(g, div(y, b!))), b!.shape) : null,
  ],
  pow: (g, [a, b], y, _attrs, needs) => [
    needs[0] ? sumToShape(mul(g, mul(b!, pow(a!, sub(b!, 1)))), a!.shape) : null,
    // d/db a^b = a^b·log(a); taken as 0 at a = 0 (the limit where a^b -> 0), NaN for a < 0.
    needs[1] ? sumToShape(mul(g, where(equal(a!, 0), 0, mul(y, log(where(equal(a!, 0), 1, a!))))), b!.shape) : null,
  ],
  // Ties send the whole gradient to the first operand, as TensorFlow does.
  maximum: (g, [a, b]) => {
    const first = greaterEqual(a!, b!);
    return [sumToShape(where(first, g, 0), a!.shape), sumToShape(where(first, 0, g), b!.shape)];
  },
  minimum: (g, [a, b]) => {
    const first = lessEqual(a!, b!);
    return [sumToShape(where(first, g, 0), a!.shape), sumToShape(where(first, 0, g), b!.shape)];
  },
  mod: (g, [a, b], _y, _attrs, needs) => [
    sumToShape(g, a!.shape),
    needs[1] ? sumToShape(neg(mul(g, floor(div(a!, b!)))), b!.shape) : null,
  ],
  equal: noGradients,
  notEqual: noGradients,
  less: noGradients,
  lessEqual: noGradients,
  greater: noGradients,
  greaterEqual: noGradients,
  logicalAnd: noGradients,
  logicalOr: noGradients,
  where: (g, [c, a, b]) => [null, sumToShape(where(c!, g, 0), a!.shape), sumToShape(where(c!, 0, g), b!.shape)],

  sum: (g, [x], _y, { axes }) => [unreduce(g, x!, axes)],
  // Ties share the gradient equally, as in TensorFlow and JAX.
  max: (g, [x], y, { axes }) => [extremumVjp(g, x!, y, axes)],
  min: (g, [x], y, { axes }) => [extremumVjp(g, x!, y, axes)],
  prod: (g, [x], y, { axes }) => [mul(unreduce(g, x!, axes), prodOthers(x!, y, axes))],
  argmax: noGradients,
  argmin: noGradients,

  reshape: (g, [x]) => [reshape(g, x!.shape)],
  transpose: (g, _x, _y, { perm }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [transpose(g, inverse)];
  },
  broadcastTo: (g, [x]) => [sumToShape(g, x!.shape)],
  slice: (g, [x], _y, { begin, size }) => [
    pad(
      g,
      begin.map((b, i) => [b, x!.shape[i]! - b - size[i]!] as [number, number]),
    ),
  ],
  concat: (g, inputs, _y, { axis }, needs) => {
    let offset = 0;
    return inputs.map((x, i) => {
      const begin = x.shape.map((_, d) => (d === axis ? offset : 0));
      offset += x.shape[axis]!;
      return needs[i] ? slice(g, begin, x.shape) : null;
    });
  },
  pad: (g, [x], _y, { paddings }) => [
    slice(
      g,
      paddings.map(([before]) => before),
      x!.shape,
    ),
  ],
  gather: (g, [x, indices], _y, { axis }) => [
    bind('scatterAdd', [g, indices!], { axis, dimSize: x!.shape[axis]! }),
    null,
  ],
  scatterAdd: (g, [, indices], _y, { axis }) => [gather(g, indices!, axis), null],
  oneHot: noGradients,
  randomBits: noGradients,
  matmul: matmulVjp,
};

function extremumVjp(g: Tensor, x: Tensor, y: Tensor, axes: readonly number[]): Tensor {
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const hits = cast(equal(x, reshape(y, kept)), 'f32');
  const count = sum(hits, axes, true);
  return mul(unreduce(g, x, axes), div(hits, count));
}
