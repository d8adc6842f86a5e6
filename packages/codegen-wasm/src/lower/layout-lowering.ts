/**
 * @file Layout kernels. Transposes, broadcasts, slices, concatenation and padding are strided
 * copies (the strided map with the identity); gather, scatterAdd and oneHot index with i32
 * values, and an index out of range stops the call through the `fail` import.
 */
import { sizeOf, type DType } from '@kiln-jit/core';
import type { Node } from '@kiln-jit/tracer';
import type { ExpressionRef } from '../binaryen.ts';
import { FunctionBuilder, type Local } from '../function-builder.ts';
import type { KernelBuilder, ModuleContext } from './module-context.ts';
import { broadcastStridesTo, contiguousStrides, emitStridedMap, type MapOperand } from './strided-map.ts';
import { elementBytes, splatConstant } from './lanes.ts';
import type { Kernel } from './kernel-types.ts';

type LayoutBody = (b: KernelBuilder, node: Node) => ExpressionRef[];

/** A copy of `x` (read through strides from an offset) into contiguous output. */
function copyInto(
  b: KernelBuilder,
  node: Node,
  strides: readonly number[],
  offsetElements = 0,
  input = 1,
): ExpressionRef[] {
  const out = node.output.type;
  const x = node.inputs[input - 1]!.type;
  return emitStridedMap(b, {
    shape: out.shape,
    output: { base: () => b.param(0), dtype: out.dtype, strides: contiguousStrides(out.shape) },
    inputs: [{ base: () => b.addr(b.param(input), offsetElements * elementBytes(x.dtype)), dtype: x.dtype, strides }],
    compute: (ins) => ins[0]!(),
  });
}

/** Fills `count` elements at `base` with `value`. */
function fill(
  b: KernelBuilder,
  dtype: DType,
  shape: readonly number[],
  base: () => ExpressionRef,
  value: number,
): ExpressionRef[] {
  return emitStridedMap(b, {
    shape,
    inputs: [],
    output: { base, dtype, strides: contiguousStrides(shape) },
    compute: () => splatConstant(b, dtype, value),
  });
}

/** Reads i32 element `index` of param `p`. */
function loadIndex(b: KernelBuilder, p: number, index: ExpressionRef): ExpressionRef {
  return b.mod.i32.load(0, 4, b.mod.i32.add(b.param(p), b.mod.i32.mul(index, b.i32(4))));
}

/** Stops the call (through `fail`) unless 0 <= idx < limit. */
function checkIndex(b: KernelBuilder, node: Node, idx: () => ExpressionRef, limit: number): ExpressionRef {
  const { mod } = b;
  const bad = mod.i32.or(mod.i32.lt_s(idx(), b.i32(0)), mod.i32.ge_s(idx(), b.i32(limit)));
  return mod.if(
    bad,
    mod.block(null, [
      mod.call(b.module.failImport(), [b.i32(b.module.failCode(node)), idx(), b.i32(limit)], b.binaryen.none),
      mod.unreachable(),
    ]),
  );
}

/** Splits a shape around an axis into [outer, middle, inner] element counts. */
function around(shape: readonly number[], axis: number, middleRank = 1): [number, number, number] {
  return [
    sizeOf(shape.slice(0, axis)),
    sizeOf(shape.slice(axis, axis + middleRank)),
    sizeOf(shape.slice(axis + middleRank)),
  ];
}

const bodies: Record<string, LayoutBody> = {
  reshape: (b, node) => [
    b.mod.memory.copy(
      b.param(0),
      b.param(1),
      b.i32(sizeOf(node.output.type.shape) * elementBytes(node.output.type.dtype)),
    ),
  ],
  transpose: (b, node) => {
    const own = contiguousStrides(node.inputs[0]!.type.shape);
    return copyInto(
      b,
      node,
      (node.attrs.perm as number[]).map((p) => own[p]!),
    );
  },
  broadcastTo: (b, node) => copyInto(b, node, broadcastStridesTo(node.inputs[0]!.type.shape, node.output.type.shape)),
  slice: (b, node) => {
    const own = contiguousStrides(node.inputs[0]!.type.shape);
    const offset = (node.attrs.begin as number[]).reduce((acc, v, i) => acc + v * own[i]!, 0);
    return copyInto(b, node, own, offset);
  },
  concat: (b, node) => {
    const out = node.output.type;
    const axis = node.attrs.axis as number;
    const outStrides = contiguousStrides(out.shape);
    let offset = 0;
    return node.inputs.flatMap((x, i) => {
      const start = offset * outStrides[axis]! * elementBytes(out.dtype);
      offset += x.type.shape[axis]!;
      return emitStridedMap(b, {
        shape: x.type.shape,
        output: { base: () => b.addr(b.param(0), start), dtype: out.dtype, strides: outStrides },
        inputs: [{ base: () => b.param(i + 1), dtype: x.type.dtype, strides: contiguousStrides(x.type.shape) }],
        compute: (ins) => ins[0]!(),
      });
    });
  },
  pad: (b, node) => {
    const out = node.output.type;
    const x = node.inputs[0]!.type;
    const outStrides = contiguousStrides(out.shape);
    const start =
      (node.attrs.paddings as [number, number][]).reduce((acc, [before], i) => acc + before * outStrides[i]!, 0) *
      elementBytes(out.dtype);
    const interior: MapOperand = { base: () => b.addr(b.param(0), start), dtype: out.dtype, strides: outStrides };
    return [
      ...fill(b, out.dtype, out.shape, () => b.param(0), node.attrs.value as number),
      ...emitStridedMap(b, {
        shape: x.shape,
        output: interior,
        inputs: [{ base: () => b.param(1), dtype: x.dtype, strides: contiguousStrides(x.shape) }],
        compute: (ins) => ins[0]!(),
      }),
    ];
  },
  gather: (b, node) => {
    const { mod, binaryen } = b;
    const x = node.inputs[0]!.type;
    const count = sizeOf(node.inputs[1]!.type.shape);
    const [outer, dim, inner] = around(x.shape, node.attrs.axis as number);
    const bytes = elementBytes(x.dtype) * inner;
    const [o, t, idx] = [b.local(binaryen.i32), b.local(binaryen.i32), b.local(binaryen.i32)];
    const get = (l: Local) => (): ExpressionRef => l.get();
    const check = b.loop(t, b.i32(0), b.i32(count), 1, [
      idx.set(loadIndex(b, 2, get(t)())),
      checkIndex(b, node, get(idx), dim),
    ]);
    const copy = b.loop(o, b.i32(0), b.i32(outer), 1, [
      b.loop(t, b.i32(0), b.i32(count), 1, [
        idx.set(loadIndex(b, 2, get(t)())),
        mod.memory.copy(
          mod.i32.add(
            b.param(0),
            mod.i32.mul(mod.i32.add(mod.i32.mul(get(o)(), b.i32(count)), get(t)()), b.i32(bytes)),
          ),
          mod.i32.add(
            b.param(1),
            mod.i32.mul(mod.i32.add(mod.i32.mul(get(o)(), b.i32(dim)), get(idx)()), b.i32(bytes)),
          ),
          b.i32(bytes),
        ),
      ]),
    ]);
    return [check, copy];
  },
  scatterAdd: (b, node) => {
    const { mod, binaryen } = b;
    const out = node.output.type;
    const updates = node.inputs[0]!.type;
    const indices = node.inputs[1]!.type;
    const [outer, count, inner] = around(updates.shape, node.attrs.axis as number, indices.shape.length);
    const dim = node.attrs.dimSize as number;
    const [o, t, j, idx] = [b.local(binaryen.i32), b.local(binaryen.i32), b.local(binaryen.i32), b.local(binaryen.i32)];
    const get = (l: Local) => (): ExpressionRef => l.get();
    const isF32 = out.dtype === 'f32';
    const at = (base: ExpressionRef, row: ExpressionRef): ExpressionRef =>
      mod.i32.add(base, mod.i32.mul(mod.i32.add(mod.i32.mul(row, b.i32(inner)), get(j)()), b.i32(4)));
    const dst = (): ExpressionRef => at(b.param(0), mod.i32.add(mod.i32.mul(get(o)(), b.i32(dim)), get(idx)()));
    const src = (): ExpressionRef => at(b.param(1), mod.i32.add(mod.i32.mul(get(o)(), b.i32(count)), get(t)()));
    const sum = isF32
      ? mod.f32.store(0, 4, dst(), mod.f32.add(mod.f32.load(0, 4, dst()), mod.f32.load(0, 4, src())))
      : mod.i32.store(0, 4, dst(), mod.i32.add(mod.i32.load(0, 4, dst()), mod.i32.load(0, 4, src())));
    const check = b.loop(t, b.i32(0), b.i32(count), 1, [
      idx.set(loadIndex(b, 2, get(t)())),
      checkIndex(b, node, get(idx), dim),
    ]);
    return [
      check,
      ...fill(b, out.dtype, out.shape, () => b.param(0), 0),
      b.loop(o, b.i32(0), b.i32(outer), 1, [
        b.loop(t, b.i32(0), b.i32(count), 1, [
          idx.set(loadIndex(b, 2, get(t)())),
          b.loop(j, b.i32(0), b.i32(inner), 1, [sum]),
        ]),
      ]),
    ];
  },
  oneHot: (b, node) => {
    const { mod, binaryen } = b;
    const depth = node.attrs.depth as number;
    const count = sizeOf(node.inputs[0]!.type.shape);
    const [i, idx] = [b.local(binaryen.i32), b.local(binaryen.i32)];
    const get = (l: Local) => (): ExpressionRef => l.get();
    // Out-of-range indices leave an all-zero row, as in the eager kernel.
    const inRange = mod.i32.and(mod.i32.ge_s(get(idx)(), b.i32(0)), mod.i32.lt_s(get(idx)(), b.i32(depth)));
    return [
      ...fill(b, 'f32', node.output.type.shape, () => b.param(0), 0),
      b.loop(i, b.i32(0), b.i32(count), 1, [
        idx.set(mod.i32.load(0, 4, mod.i32.add(b.param(1), mod.i32.mul(get(i)(), b.i32(4))))),
        mod.if(
          inRange,
          mod.f32.store(
            0,
            4,
            mod.i32.add(
              b.param(0),
              mod.i32.mul(mod.i32.add(mod.i32.mul(get(i)(), b.i32(depth)), get(idx)()), b.i32(4)),
            ),
            mod.f32.const(1),
          ),
        ),
      ]),
    ];
  },
  print: (b, node) => [
    b.mod.call(b.module.printImport(), [b.i32(b.module.printIndex(node)), b.param(1)], b.binaryen.none),
    b.mod.memory.copy(
      b.param(0),
      b.param(1),
      b.i32(sizeOf(node.output.type.shape) * elementBytes(node.output.type.dtype)),
    ),
  ],
};

export function lowerLayout(ctx: ModuleContext, node: Node): Kernel {
  const body = bodies[node.op];
  if (!body) throw new Error(`codegen-wasm: no layout lowering for ${node.op}`);
  const name = ctx.uniqueName(node.op);
  const b = new FunctionBuilder(ctx, node.inputs.length + 2);
  b.finish(name, body(b, node));
  return { name, scratchBytes: 0 };
}

export function hasLayoutLowering(op: string): boolean {
  return Object.hasOwn(bodies, op);
}
