/**
 * @file The reduction family, one entry per op: folding reductions by their combine step and
 * identity per dtype (backends start their accumulators from the same identity), argmax/argmin by
 * their comparison; each with its gradient. All take `{ axes, keepDims }`.
 */
import type { DType } from '../dtype.ts';
import { KilnShapeError } from '../errors.ts';
import { reducedShape } from '../shape.ts';
import type { Tensor } from '../tensor.ts';
import { argKernel, foldKernel, type Combine } from '../kernels/reduce.ts';
import { isFoldOp, REDUCE_OPS, type FoldOp, type ReduceOp } from './names.ts';
import { familyRules, type FamilyRules, type Kernel, type VjpRule } from './rules.ts';
import { checkArity, checkAxes, checkDType, typeString } from './shape-rules.ts';
import { noGradients, unreduce } from './vjp.ts';
import { cast, div, equal, mul, prod, reshape, sum, where } from './api.ts';

interface FoldDef {
  readonly combine: Combine;
  /** The i32 form where it differs: products wrap (as in Wasm) instead of losing bits past 2^53. */
  readonly int?: Combine;
  /** The accumulator's start, per dtype: i32 max and min start from the extreme integers. */
  readonly identity: { readonly f32: number; readonly i32: number };
}

interface CommonDef<K extends ReduceOp> {
  /** The op has no value over an empty axis (no identity a user would want). */
  readonly needsElements: boolean;
  readonly vjp: VjpRule<K>;
}

/** A folding reduction: the result has the input's dtype. */
interface FoldReduceDef<K extends ReduceOp> extends CommonDef<K> {
  readonly fold: FoldDef;
}

/** argmax/argmin: i32 positions; `better` says whether x beats the best so far (the kernel handles NaN). */
interface ArgReduceDef<K extends ReduceOp> extends CommonDef<K> {
  readonly better: (x: number, best: number) => boolean;
}

type ReduceDef<K extends ReduceOp> = K extends FoldOp ? FoldReduceDef<K> : ArgReduceDef<K>;

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

/** max/min: ties share the gradient equally, as in TensorFlow and JAX. */
const extremumVjp: VjpRule<'max' | 'min'> = (g, [x], y, { axes }) => {
  const kept = x!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const hits = cast(equal(x!, reshape(y, kept)), 'f32');
  const count = sum(hits, axes, true);
  return [mul(unreduce(g, x!, axes), div(hits, count))];
};

export const reduceOps: { readonly [K in ReduceOp]: ReduceDef<K> } = {
  sum: {
    fold: { combine: (acc, x) => acc + x, identity: { f32: 0, i32: 0 } },
    needsElements: false,
    vjp: (g, [x], _y, { axes }) => [unreduce(g, x!, axes)],
  },
  prod: {
    fold: { combine: (acc, x) => acc * x, int: Math.imul, identity: { f32: 1, i32: 1 } },
    needsElements: false,
    vjp: (g, [x], y, { axes }) => [mul(unreduce(g, x!, axes), prodOthers(x!, y, axes))],
  },
  // max/min keep NaN: a NaN element wins.
  max: {
    fold: { combine: (acc, x) => (x > acc || x !== x ? x : acc), identity: { f32: -Infinity, i32: -2147483648 } },
    needsElements: true,
    vjp: extremumVjp,
  },
  min: {
    fold: { combine: (acc, x) => (x < acc || x !== x ? x : acc), identity: { f32: Infinity, i32: 2147483647 } },
    needsElements: true,
    vjp: extremumVjp,
  },
  argmax: { better: (x, best) => x > best, needsElements: true, vjp: noGradients },
  argmin: { better: (x, best) => x < best, needsElements: true, vjp: noGradients },
};

/** The value a folding reduction's accumulator starts from, for a result of `dtype`. */
export function reduceIdentity(op: FoldOp, dtype: DType): number {
  const { identity } = reduceOps[op].fold;
  return dtype === 'i32' ? identity.i32 : identity.f32;
}

function reduceKernel<K extends ReduceOp>(op: K): Kernel<K> {
  if (isFoldOp(op)) {
    const { combine, int } = reduceOps[op].fold;
    return foldKernel(combine, int ?? combine, (dtype) => reduceIdentity(op, dtype));
  }
  return argKernel((reduceOps[op] as ArgReduceDef<K>).better);
}

export const reduceRules: FamilyRules<ReduceOp> = familyRules(REDUCE_OPS, (op) => {
  const def = reduceOps[op] as CommonDef<ReduceOp>;
  return {
    shape: (inputs, { axes, keepDims }) => {
      checkArity(op, inputs, 1);
      const x = inputs[0]!;
      checkDType(op, x, 'numeric');
      checkAxes(op, x, axes);
      if (def.needsElements && axes.some((a) => x.shape[a] === 0)) {
        throw new KilnShapeError(`${op}: cannot reduce ${typeString(x)} over an empty axis (it has no identity)`);
      }
      return { shape: reducedShape(x.shape, axes, keepDims), dtype: isFoldOp(op) ? x.dtype : 'i32' };
    },
    kernel: reduceKernel(op),
    vjp: def.vjp,
  };
});
