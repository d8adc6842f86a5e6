/**
 * @file The layout family, one entry per op: shape rule, eager kernel (most are one strided copy;
 * reshape shares storage, which is safe because tensors are immutable) and gradient. gather and
 * scatterAdd check their indices at run time, so they may fail on a valid program's data.
 */
import { allocate } from '../dtype.ts';
import { KilnArgumentError, KilnDTypeError, KilnShapeError } from '../errors.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { broadcastsTo, broadcastStrides, formatShape, sizeOf, stridesOf } from '../shape.ts';
import { bind } from '../context.ts';
import { around, checkIndex, gatherStrided, stridedCopy } from '../kernels/layout.ts';
import type { LayoutOp } from './names.ts';
import type { OpRules } from './rules.ts';
import {
  checkArity,
  checkDType,
  checkPermutation,
  checkShapeAttr,
  isIntList,
  sameDType,
  typesString,
  typeString,
  type TensorType,
} from './shape-rules.ts';
import { noGradients } from './vjp.ts';
import { gather, pad, reshape, slice, sumToShape, transpose } from './api.ts';

export interface LayoutDef<K extends LayoutOp> extends OpRules<K> {
  /** The kernel checks input values (indices) and may throw on them: backends must not fail midway. */
  readonly checksIndices?: true;
}

export const layoutRules: { readonly [K in LayoutOp]: LayoutDef<K> } = {
  reshape: {
    shape: (inputs, { shape }) => {
      checkArity('reshape', inputs, 1);
      const x = inputs[0]!;
      checkShapeAttr('reshape', shape);
      if (sizeOf(shape) !== sizeOf(x.shape)) {
        throw new KilnShapeError(
          `reshape: cannot reshape ${typeString(x)} (${sizeOf(x.shape)} elements) to ${formatShape(shape)} (${sizeOf(shape)} elements)`,
        );
      }
      return { shape, dtype: x.dtype };
    },
    kernel: (inputs, _attrs, type) => makeTensor(type.shape, type.dtype, inputs[0]!.storage!),
    vjp: (g, [x]) => [reshape(g, x!.shape)],
  },
  transpose: {
    shape: (inputs, { perm }) => {
      checkArity('transpose', inputs, 1);
      const x = inputs[0]!;
      checkPermutation('transpose', x, perm);
      return { shape: perm.map((p) => x.shape[p]!), dtype: x.dtype };
    },
    kernel: (inputs, { perm }, type) => {
      const x = inputs[0]!;
      const strides = stridesOf(x.shape);
      return gatherStrided(
        x,
        0,
        perm.map((p) => strides[p]!),
        type,
      );
    },
    vjp: (g, _x, _y, { perm }) => {
      const inverse = new Array<number>(perm.length);
      perm.forEach((p, i) => (inverse[p] = i));
      return [transpose(g, inverse)];
    },
  },
  broadcastTo: {
    shape: (inputs, { shape }) => {
      checkArity('broadcastTo', inputs, 1);
      const x = inputs[0]!;
      checkShapeAttr('broadcastTo', shape);
      if (!broadcastsTo(x.shape, shape))
        throw new KilnShapeError(`broadcastTo: cannot broadcast ${typeString(x)} to ${formatShape(shape)}`);
      return { shape, dtype: x.dtype };
    },
    kernel: (inputs, _attrs, type) =>
      gatherStrided(inputs[0]!, 0, broadcastStrides(inputs[0]!.shape, type.shape), type),
    vjp: (g, [x]) => [sumToShape(g, x!.shape)],
  },
  slice: {
    shape: (inputs, { begin, size }) => {
      checkArity('slice', inputs, 1);
      const x = inputs[0]!;
      const rank = x.shape.length;
      const ok =
        isIntList(begin, rank) &&
        isIntList(size, rank) &&
        begin.every((b, i) => b >= 0 && size[i]! >= 0 && b + size[i]! <= x.shape[i]!);
      if (!ok)
        throw new KilnShapeError(
          `slice: begin ${JSON.stringify(begin)} size ${JSON.stringify(size)} do not fit ${typeString(x)}`,
        );
      return { shape: size, dtype: x.dtype };
    },
    kernel: (inputs, { begin }, type) => {
      const x = inputs[0]!;
      const strides = stridesOf(x.shape);
      return gatherStrided(
        x,
        begin.reduce((off, b, i) => off + b * strides[i]!, 0),
        strides,
        type,
      );
    },
    vjp: (g, [x], _y, { begin, size }) => [
      pad(
        g,
        begin.map((b, i) => [b, x!.shape[i]! - b - size[i]!] as [number, number]),
      ),
    ],
  },
  concat: {
    shape: (inputs, { axis }) => {
      if (inputs.length === 0) throw new KilnArgumentError('concat: needs at least one tensor');
      const first = inputs[0]!;
      if (!Number.isInteger(axis) || axis < 0 || axis >= first.shape.length) {
        throw new KilnArgumentError(`concat: axis ${axis} is out of range for ${typeString(first)}`);
      }
      let total = 0;
      for (const t of inputs) {
        sameDType('concat', first, t);
        const fits =
          t.shape.length === first.shape.length && t.shape.every((d, i) => i === axis || d === first.shape[i]);
        if (!fits) throw new KilnShapeError(`concat: shapes ${typesString(inputs)} differ outside axis ${axis}`);
        total += t.shape[axis]!;
      }
      return { shape: first.shape.map((d, i) => (i === axis ? total : d)), dtype: first.dtype };
    },
    kernel: (inputs, { axis }, type) => {
      const out = allocate(type.dtype, sizeOf(type.shape));
      const outStrides = stridesOf(type.shape);
      let offset = 0;
      for (const x of inputs) {
        stridedCopy(x.storage!, 0, stridesOf(x.shape), out, offset * outStrides[axis]!, outStrides, x.shape);
        offset += x.shape[axis]!;
      }
      return makeTensor(type.shape, type.dtype, out);
    },
    vjp: (g, inputs, _y, { axis }, needs) => {
      let offset = 0;
      return inputs.map((x, i) => {
        const begin = x.shape.map((_, d) => (d === axis ? offset : 0));
        offset += x.shape[axis]!;
        return needs[i] ? slice(g, begin, x.shape) : null;
      });
    },
  },
  pad: {
    shape: (inputs, { paddings, value }) => {
      checkArity('pad', inputs, 1);
      const x = inputs[0]!;
      const ok =
        Array.isArray(paddings) &&
        paddings.length === x.shape.length &&
        paddings.every((p) => isIntList(p, 2) && p[0] >= 0 && p[1] >= 0) &&
        typeof value === 'number';
      if (!ok)
        throw new KilnArgumentError(
          `pad: paddings ${JSON.stringify(paddings)} must give [before, after] >= 0 for each axis of ${typeString(x)}`,
        );
      return { shape: x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]), dtype: x.dtype };
    },
    kernel: (inputs, { paddings, value }, type) => {
      const x = inputs[0]!;
      const out = allocate(type.dtype, sizeOf(type.shape)).fill(type.dtype === 'bool' ? Number(value !== 0) : value);
      const outStrides = stridesOf(type.shape);
      const start = paddings.reduce((off, [before], i) => off + before * outStrides[i]!, 0);
      stridedCopy(x.storage!, 0, stridesOf(x.shape), out, start, outStrides, x.shape);
      return makeTensor(type.shape, type.dtype, out);
    },
    vjp: (g, [x], _y, { paddings }) => [
      slice(
        g,
        paddings.map(([before]) => before),
        x!.shape,
      ),
    ],
  },
  gather: {
    shape: (inputs, { axis }) => {
      checkArity('gather', inputs, 2);
      const [x, indices] = inputs as [TensorType, TensorType];
      if (indices.dtype !== 'i32') throw new KilnDTypeError(`gather: indices must be i32, got ${typeString(indices)}`);
      if (!Number.isInteger(axis) || axis < 0 || axis >= x.shape.length) {
        throw new KilnArgumentError(`gather: axis ${axis} is out of range for ${typeString(x)}`);
      }
      return { shape: [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], dtype: x.dtype };
    },
    kernel: (inputs, { axis }, type) => {
      const [x, indices] = inputs as [Tensor, Tensor];
      const [outer, dim, inner] = around(x.shape, axis);
      const idx = indices.storage!;
      const src = x.storage!;
      const out = allocate(type.dtype, sizeOf(type.shape));
      for (let t = 0; t < idx.length; t++) checkIndex('gather', idx[t]!, dim, x);
      for (let o = 0; o < outer; o++) {
        for (let t = 0; t < idx.length; t++) {
          const from = (o * dim + idx[t]!) * inner;
          out.set(src.subarray(from, from + inner), (o * idx.length + t) * inner);
        }
      }
      return makeTensor(type.shape, type.dtype, out);
    },
    vjp: (g, [x, indices], _y, { axis }) => [
      bind('scatterAdd', [g, indices!], { axis, dimSize: x!.shape[axis]! }),
      null,
    ],
    checksIndices: true,
  },
  scatterAdd: {
    shape: (inputs, { axis, dimSize }) => {
      checkArity('scatterAdd', inputs, 2);
      const [updates, indices] = inputs as [TensorType, TensorType];
      checkDType('scatterAdd', updates, 'numeric');
      if (indices.dtype !== 'i32')
        throw new KilnDTypeError(`scatterAdd: indices must be i32, got ${typeString(indices)}`);
      const middle = updates.shape.slice(axis, axis + indices.shape.length);
      const ok =
        Number.isInteger(axis) &&
        axis >= 0 &&
        Number.isInteger(dimSize) &&
        dimSize >= 0 &&
        updates.shape.length >= axis + indices.shape.length &&
        middle.every((d, i) => d === indices.shape[i]);
      if (!ok)
        throw new KilnShapeError(
          `scatterAdd: updates ${typeString(updates)} do not match indices ${typeString(indices)} at axis ${axis}`,
        );
      const shape = [...updates.shape.slice(0, axis), dimSize, ...updates.shape.slice(axis + indices.shape.length)];
      return { shape, dtype: updates.dtype };
    },
    kernel: (inputs, { axis, dimSize }, type) => {
      const [updates, indices] = inputs as [Tensor, Tensor];
      const [outer, count, inner] = around(updates.shape, axis, indices.rank);
      const idx = indices.storage!;
      const src = updates.storage!;
      const acc = new Float64Array(sizeOf(type.shape));
      for (let t = 0; t < idx.length; t++) checkIndex('scatterAdd', idx[t]!, dimSize, updates);
      for (let o = 0; o < outer; o++) {
        for (let t = 0; t < count; t++) {
          const to = (o * dimSize + idx[t]!) * inner;
          const from = (o * count + t) * inner;
          for (let j = 0; j < inner; j++) acc[to + j] += src[from + j]!;
        }
      }
      const out = allocate(type.dtype, acc.length);
      out.set(acc);
      return makeTensor(type.shape, type.dtype, out);
    },
    vjp: (g, [, indices], _y, { axis }) => [gather(g, indices!, axis), null],
    checksIndices: true,
  },
  oneHot: {
    shape: (inputs, { depth }) => {
      checkArity('oneHot', inputs, 1);
      const indices = inputs[0]!;
      if (indices.dtype !== 'i32') throw new KilnDTypeError(`oneHot: indices must be i32, got ${typeString(indices)}`);
      if (!Number.isInteger(depth) || depth < 0)
        throw new KilnArgumentError(`oneHot: depth ${depth} must be a non-negative integer`);
      return { shape: [...indices.shape, depth], dtype: 'f32' };
    },
    kernel: (inputs, { depth }, type) => {
      const idx = inputs[0]!.storage!;
      const out = new Float32Array(sizeOf(type.shape));
      // Out-of-range indices give an all-zero row, as in TensorFlow and JAX.
      for (let i = 0; i < idx.length; i++) if (idx[i]! >= 0 && idx[i]! < depth) out[i * depth + idx[i]!] = 1;
      return makeTensor(type.shape, 'f32', out);
    },
    vjp: noGradients,
  },
};

/** Whether `op` checks its input values at run time, so a call may fail on the data alone. */
export function checksIndices(op: string): boolean {
  return (layoutRules as Partial<Record<string, LayoutDef<LayoutOp>>>)[op]?.checksIndices === true;
}
