/**
 * @file The ops that are a family of their own: cast, where (select), print (an effect), matmul
 * and randomBits (random), one entry each with shape rule, eager kernel and gradient.
 */
import { isDType } from '../dtype.ts';
import { KilnArgumentError, KilnDTypeError, KilnShapeError } from '../errors.ts';
import { broadcastShapes } from '../shape.ts';
import { makeTensor } from '../tensor.ts';
import { castKernel, whereKernel } from '../kernels/elementwise.ts';
import { matmulKernel } from '../kernels/matmul.ts';
import { randomBitsKernel } from '../kernels/threefry.ts';
import type { OpRules, ShapeRule, VjpRule } from './rules.ts';
import {
  broadcastAll,
  checkArity,
  checkDType,
  checkShapeAttr,
  matrixDims,
  sameDType,
  typesString,
  typeString,
  type TensorType,
} from './shape-rules.ts';
import { matmul, sumToShape, where } from './api.ts';
import { noGradients } from './vjp.ts';

const matmulShape: ShapeRule<'matmul'> = (inputs, { transposeA, transposeB }) => {
  checkArity('matmul', inputs, 2);
  const [a, b] = inputs as [TensorType, TensorType];
  checkDType('matmul', a, 'numeric');
  sameDType('matmul', a, b);
  if (a.shape.length < 2 || b.shape.length < 2) {
    throw new KilnShapeError(
      `matmul: needs rank >= 2 operands, got ${typesString(inputs)}; use expandDims for vectors`,
    );
  }
  const [m, ka] = matrixDims(a.shape, transposeA);
  const [kb, n] = matrixDims(b.shape, transposeB);
  if (ka !== kb) {
    throw new KilnShapeError(
      `matmul: inner dimensions differ: ${typesString(inputs)}` +
        `${transposeA || transposeB ? ` (transposeA=${transposeA}, transposeB=${transposeB})` : ''} gives ${ka} vs ${kb}`,
    );
  }
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (batch === null)
    throw new KilnShapeError(`matmul: batch dimensions of ${typesString(inputs)} cannot be broadcast together`);
  return { shape: [...batch, m, n], dtype: a.dtype };
};

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

export const miscRules: { readonly [K in 'cast' | 'where' | 'print' | 'matmul' | 'randomBits']: OpRules<K> } = {
  cast: {
    shape: (inputs, { dtype }) => {
      checkArity('cast', inputs, 1);
      if (!isDType(dtype))
        throw new KilnArgumentError(`cast: unknown dtype ${JSON.stringify(dtype)}; use f32, i32 or bool`);
      return { shape: inputs[0]!.shape, dtype };
    },
    kernel: castKernel,
    vjp: (g, [x]) => [x!.dtype === 'f32' && g.dtype === 'f32' ? g : null],
  },
  where: {
    shape: (inputs) => {
      checkArity('where', inputs, 3);
      const [cond, a, b] = inputs as [TensorType, TensorType, TensorType];
      if (cond.dtype !== 'bool') throw new KilnDTypeError(`where: condition must be bool, got ${typeString(cond)}`);
      sameDType('where', a, b);
      return { shape: broadcastAll('where', inputs), dtype: a.dtype };
    },
    kernel: whereKernel,
    vjp: (g, [c, a, b]) => [null, sumToShape(where(c!, g, 0), a!.shape), sumToShape(where(c!, 0, g), b!.shape)],
  },
  print: {
    shape: (inputs) => {
      checkArity('print', inputs, 1);
      return inputs[0]!;
    },
    kernel: (inputs, { label }) => {
      const x = inputs[0]!;
      console.log(label ? `${label}: ${x.toString()}` : x.toString());
      return makeTensor(x.shape, x.dtype, x.storage!); // a new tensor object: autodiff keys on identity
    },
    vjp: (g) => [g],
  },
  matmul: { shape: matmulShape, kernel: matmulKernel, vjp: matmulVjp },
  randomBits: {
    shape: (inputs, { shape, dtype }) => {
      checkArity('randomBits', inputs, 1);
      const key = inputs[0]!;
      if (key.dtype !== 'i32' || key.shape.length !== 1 || key.shape[0] !== 2)
        throw new KilnDTypeError(`randomBits: the key must be i32[2], got ${typeString(key)}`);
      checkShapeAttr('randomBits', shape);
      if (dtype !== 'i32' && dtype !== 'f32')
        throw new KilnArgumentError(`randomBits: dtype must be i32 (bits) or f32 (uniform in [0, 1)), got ${dtype}`);
      return { shape, dtype };
    },
    kernel: randomBitsKernel,
    vjp: noGradients,
  },
};
