/**
 * @file A fuzz program: input tensors, a list of calls to the public op functions, and the
 * values it returns (or the gradient of a scalar loss made from its first result). Programs are
 * plain data, so they can be generated, shrunk, printed as TypeScript and run in any mode.
 */
import * as k from '../../src/index.ts';
import {
  COMPARE_OPS,
  makeTensor,
  UNARY_OPS,
  type BinaryOp,
  type CompareOp,
  type DType,
  type OpAttrs,
  type ReduceOp,
  type Tensor,
  type TypedArray,
  type UnaryOp,
} from '../../src/index.ts';

/** A step operand: an earlier value (inputs first, then steps, in order) or a number literal. */
export type Operand = { ref: number } | { lit: number };

export interface FuzzInput {
  dtype: DType;
  shape: number[];
  data: number[];
  /** Closed over by the function rather than passed: traced as a captured constant. */
  captured: boolean;
}

/** One call `k[op](...operands, ...attrs in the op's parameter order)`. */
export interface FuzzStep {
  op: string;
  args: Operand[];
  attrs: Record<string, unknown>;
}

export interface GradSpec {
  /** Input indices (all f32, not captured) to differentiate with respect to. */
  wrt: number[];
  /** How the first output becomes the scalar loss. */
  loss: 'sum' | 'mean';
  /** valueAndGrad instead of grad. */
  withValue: boolean;
}

export interface FuzzProgram {
  inputs: FuzzInput[];
  steps: FuzzStep[];
  /** Value indices returned; a grad program uses only the first. */
  outputs: number[];
  grad: GradSpec | null;
}

interface OpSignature {
  /** Attribute names, in the order the function takes them after its tensor operands. */
  params?: string[];
  /** The tensor operands are passed as one array (concat, stack). */
  list?: boolean;
  /** Operand positions that must not carry approximation error: the result jumps at thresholds. */
  discrete?: 'all' | number[];
}

/** Unary ops whose result jumps at thresholds, so their operand must be exact. Typed over the op set: a new op needs a decision here. */
export const UNARY_DISCRETE: { readonly [K in UnaryOp]: boolean } = {
  neg: false,
  abs: false,
  sign: true,
  exp: false,
  log: false,
  log1p: false,
  expm1: false,
  sqrt: false,
  rsqrt: false,
  square: false,
  reciprocal: false,
  sin: false,
  cos: false,
  tanh: false,
  sigmoid: false,
  relu: false,
  leakyRelu: false,
  gelu: false,
  erf: false,
  softplus: false,
  silu: false,
  hardSigmoid: false,
  floor: true,
  ceil: true,
  round: true,
  logicalNot: false,
  stopGradient: false,
};

/** The unary ops that take attributes. */
export type UnaryWithAttrs = { [K in UnaryOp]: OpAttrs[K] extends Record<string, never> ? never : K }[UnaryOp];

/** How the op functions of unary ops with attributes take them (after x). */
const UNARY_PARAMS: { readonly [K in UnaryWithAttrs]: string[] } = { leakyRelu: ['alpha'], gelu: ['options'] };

const BINARY_SIGNATURES: { readonly [K in BinaryOp]: OpSignature } = {
  ...(Object.fromEntries(COMPARE_OPS.map((op) => [op, { discrete: 'all' }])) as Record<CompareOp, OpSignature>),
  add: {},
  sub: {},
  mul: {},
  div: {},
  maximum: {},
  minimum: {},
  logicalAnd: {},
  logicalOr: {},
  mod: { discrete: 'all' },
  // pow(negative, b) is NaN unless b is an integer: b must be exact.
  pow: { discrete: [1] },
};

const REDUCE_PARAMS = ['axes', 'keepDims'];
const REDUCE_SIGNATURES: { readonly [K in ReduceOp | 'mean' | 'logSumExp']: OpSignature } = {
  sum: { params: REDUCE_PARAMS },
  prod: { params: REDUCE_PARAMS },
  max: { params: REDUCE_PARAMS },
  min: { params: REDUCE_PARAMS },
  mean: { params: REDUCE_PARAMS },
  logSumExp: { params: REDUCE_PARAMS },
  argmax: { params: REDUCE_PARAMS, discrete: 'all' },
  argmin: { params: REDUCE_PARAMS, discrete: 'all' },
};

const isWithAttrs = (op: UnaryOp): op is UnaryWithAttrs => Object.hasOwn(UNARY_PARAMS, op);

/** How each op the fuzzer uses is called. */
export const OP_SIGNATURES: Record<string, OpSignature> = {
  ...Object.fromEntries(
    UNARY_OPS.map((op): [string, OpSignature] => [
      op,
      {
        ...(isWithAttrs(op) ? { params: UNARY_PARAMS[op] } : {}),
        ...(UNARY_DISCRETE[op] ? { discrete: 'all' } : {}),
      },
    ]),
  ),
  ...BINARY_SIGNATURES,
  ...REDUCE_SIGNATURES,
  where: {},
  cast: { params: ['dtype'], discrete: 'all' },
  matmul: { params: ['options'] },
  reshape: { params: ['shape'] },
  transpose: { params: ['perm'] },
  broadcastTo: { params: ['shape'] },
  expandDims: { params: ['axis'] },
  squeeze: { params: ['axes'] },
  slice: { params: ['begin', 'size'] },
  concat: { params: ['axis'], list: true },
  stack: { params: ['axis'], list: true },
  pad: { params: ['paddings', 'value'] },
  gather: { params: ['axis'] },
  oneHot: { params: ['depth'] },
  softmax: { params: ['axis'] },
  logSoftmax: { params: ['axis'] },
  layerNorm: { params: ['gamma', 'beta', 'options'] },
};

/** Operand positions of `step` that must hold values free of approximation error. */
export function discreteOperands(step: FuzzStep): number[] {
  const d = OP_SIGNATURES[step.op]!.discrete;
  if (d === undefined) return [];
  return d === 'all' ? step.args.map((_, i) => i) : d.filter((i) => i < step.args.length);
}

type OpFunction = (...args: unknown[]) => Tensor;

/** Calls `step`'s op function on resolved operands. */
export function applyStep(step: FuzzStep, operands: (Tensor | number)[]): Tensor {
  const sig = OP_SIGNATURES[step.op]!;
  const fn = (k as unknown as Record<string, OpFunction>)[step.op]!;
  const attrs = (sig.params ?? []).map((p) => step.attrs[p]);
  return sig.list ? fn(operands, ...attrs) : fn(...operands, ...attrs);
}

export function inputTensor(input: FuzzInput): Tensor {
  const data: TypedArray =
    input.dtype === 'f32'
      ? Float32Array.from(input.data)
      : input.dtype === 'i32'
        ? Int32Array.from(input.data)
        : Uint8Array.from(input.data);
  return makeTensor(input.shape, input.dtype, data);
}

/** Indices of the inputs passed as arguments (the rest are captured). */
export function argumentInputs(p: FuzzProgram): number[] {
  return p.inputs.flatMap((input, i) => (input.captured ? [] : [i]));
}

export interface Runnable {
  fn: (...args: Tensor[]) => unknown;
  args: Tensor[];
}

/** The program as a JavaScript function of its argument inputs, with fresh input tensors. */
export function toFunction(p: FuzzProgram): Runnable {
  const tensors = p.inputs.map(inputTensor);
  const argIndices = argumentInputs(p);
  const body = (args: Tensor[]): Tensor[] => {
    const values: Tensor[] = p.inputs.map((input, i) => (input.captured ? tensors[i]! : args[argIndices.indexOf(i)]!));
    for (const step of p.steps) {
      values.push(
        applyStep(
          step,
          step.args.map((a) => ('ref' in a ? values[a.ref]! : a.lit)),
        ),
      );
    }
    return p.outputs.map((o) => values[o]!);
  };
  const args = argIndices.map((i) => tensors[i]!);
  const grad = p.grad;
  if (!grad) return { fn: (...xs) => body(xs), args };
  const loss = (...xs: Tensor[]): Tensor => k[grad.loss](body(xs)[0]!);
  const wrt = grad.wrt.map((i) => argIndices.indexOf(i));
  return { fn: grad.withValue ? k.valueAndGrad(loss, wrt) : k.grad(loss, wrt), args };
}

// ---- printing ------------------------------------------------------------------------------------

const valueName = (p: FuzzProgram, i: number): string => (i < p.inputs.length ? `x${i}` : `v${i}`);

function literal(x: unknown): string {
  if (x === undefined) return 'undefined';
  if (typeof x === 'number')
    return Number.isNaN(x)
      ? 'NaN'
      : x === Infinity
        ? 'Infinity'
        : x === -Infinity
          ? '-Infinity'
          : Object.is(x, -0)
            ? '-0'
            : String(x);
  if (Array.isArray(x)) return `[${x.map(literal).join(', ')}]`;
  if (x !== null && typeof x === 'object')
    return `{ ${Object.entries(x)
      .map(([key, v]) => `${key}: ${literal(v)}`)
      .join(', ')} }`;
  return JSON.stringify(x);
}

function nested(data: number[], shape: number[]): string {
  if (shape.length === 0) return literal(data[0]);
  const [d, ...rest] = shape as [number, ...number[]];
  const step = rest.reduce((a, b) => a * b, 1);
  return `[${Array.from({ length: d }, (_, i) => nested(data.slice(i * step, (i + 1) * step), rest)).join(', ')}]`;
}

/** The program as TypeScript against the `kiln` API (`k`), for failure reports. */
export function formatProgram(p: FuzzProgram): string {
  const lines = p.inputs.map((input, i) => {
    const values = input.dtype === 'bool' ? input.data.map((v) => v !== 0) : input.data;
    const data =
      input.data.length <= 64
        ? nested(values as number[], input.shape)
        : `/* ${input.data.length} values */ ${literal(input.data)}`;
    return `const x${i} = k.tensor(${data}, ${literal(input.shape)}, '${input.dtype}');${input.captured ? ' // captured' : ''}`;
  });
  const params = argumentInputs(p).map((i) => valueName(p, i));
  lines.push(`const f = (${params.join(', ')}) => {`);
  p.steps.forEach((step, j) => {
    const sig = OP_SIGNATURES[step.op]!;
    const operands = step.args.map((a) => ('ref' in a ? valueName(p, a.ref) : literal(a.lit)));
    const attrs = (sig.params ?? []).map((name) => literal(step.attrs[name]));
    while (attrs.at(-1) === 'undefined') attrs.pop();
    const args = [sig.list ? `[${operands.join(', ')}]` : operands.join(', '), ...attrs].filter((s) => s !== '');
    lines.push(`  const ${valueName(p, p.inputs.length + j)} = k.${step.op}(${args.join(', ')});`);
  });
  const outs = (p.grad ? p.outputs.slice(0, 1) : p.outputs).map((o) => valueName(p, o));
  lines.push(`  return ${p.grad ? `k.${p.grad.loss}(${outs[0]})` : `[${outs.join(', ')}]`};`, '};');
  if (p.grad) {
    const wrt = p.grad.wrt.map((i) => argumentInputs(p).indexOf(i));
    lines.push(`const run = k.${p.grad.withValue ? 'valueAndGrad' : 'grad'}(f, ${literal(wrt)});`);
  } else {
    lines.push('const run = f;');
  }
  lines.push(`run(${params.join(', ')}); // eager; trace(run) must agree`);
  return lines.join('\n');
}
