/**
 * @file The randomBits kernel: Threefry-2x32 (20 rounds) over the counters, four blocks per
 * i32x4 iteration and a scalar tail, in the layout of core's eager kernel (block i hashes
 * counters (i, i + half) and writes element i and element i + half), so the bits are identical.
 * WebAssembly SIMD has no lane rotate, so vector rotations are two shifts and an or.
 */
import { sizeOf, THREEFRY_PARITY, THREEFRY_ROTATIONS } from '@kiln-jit/core';
import type { Node } from '@kiln-jit/tracer';
import type { ExpressionRef } from '../binaryen.ts';
import { FunctionBuilder, type Local } from '../function-builder.ts';
import type { KernelBuilder, ModuleContext } from './module-context.ts';
import type { Kernel } from './kernel-types.ts';

/** The integer operations Threefry needs, on scalars or on four lanes. */
interface Lanes {
  type: number;
  add(a: ExpressionRef, b: ExpressionRef): ExpressionRef;
  xor(a: ExpressionRef, b: ExpressionRef): ExpressionRef;
  rotl(x: () => ExpressionRef, r: number): ExpressionRef;
  constant(n: number): ExpressionRef;
  /** From raw words to what the output holds (the words, or uniform floats). */
  present(x: ExpressionRef): ExpressionRef;
  store(address: ExpressionRef, value: ExpressionRef): ExpressionRef;
}

function scalarLanes(b: KernelBuilder, uniform: boolean): Lanes {
  const { mod, binaryen } = b;
  return {
    type: binaryen.i32,
    add: (x, y) => mod.i32.add(x, y),
    xor: (x, y) => mod.i32.xor(x, y),
    rotl: (x, r) => mod.i32.rotl(x(), b.i32(r)),
    constant: (n) => b.i32(n),
    present: (x) =>
      uniform ? mod.f32.mul(mod.f32.convert_u.i32(mod.i32.shr_u(x, b.i32(9))), mod.f32.const(2 ** -23)) : x,
    store: (address, value) => (uniform ? mod.f32.store(0, 4, address, value) : mod.i32.store(0, 4, address, value)),
  };
}

function vectorLanes(b: KernelBuilder, uniform: boolean): Lanes {
  const { mod, binaryen } = b;
  return {
    type: binaryen.v128,
    add: (x, y) => mod.i32x4.add(x, y),
    xor: (x, y) => mod.v128.xor(x, y),
    rotl: (x, r) => mod.v128.or(mod.i32x4.shl(x(), b.i32(r)), mod.i32x4.shr_u(x(), b.i32(32 - r))),
    constant: (n) => b.i32x4(n),
    present: (x) =>
      uniform ? mod.f32x4.mul(mod.f32x4.convert_i32x4_u(mod.i32x4.shr_u(x, b.i32(9))), b.f32x4(2 ** -23)) : x,
    store: (address, value) => mod.v128.store(0, 4, address, value),
  };
}

/**
 * Statements that hash the counters in locals x0, x1 with key words `ks` (getters in the same
 * lane form), leaving the two output words in x0 and x1.
 */
function threefry(b: KernelBuilder, lanes: Lanes, x0: Local, x1: Local, ks: (() => ExpressionRef)[]): ExpressionRef[] {
  const get0 = (): ExpressionRef => x0.get();
  const get1 = (): ExpressionRef => x1.get();
  const out = [x0.set(lanes.add(get0(), ks[0]!())), x1.set(lanes.add(get1(), ks[1]!()))];
  for (let group = 0; group < 5; group++) {
    for (let r = 0; r < 4; r++) {
      out.push(x0.set(lanes.add(get0(), get1())));
      out.push(x1.set(lanes.xor(lanes.rotl(get1, THREEFRY_ROTATIONS[(group % 2) * 4 + r]!), get0())));
    }
    out.push(x0.set(lanes.add(get0(), ks[(group + 1) % 3]!())));
    out.push(x1.set(lanes.add(lanes.add(get1(), ks[(group + 2) % 3]!()), lanes.constant(group + 1))));
  }
  return out;
}

export function lowerRandom(ctx: ModuleContext, node: Node): Kernel {
  const name = ctx.uniqueName('randomBits');
  const b = new FunctionBuilder(ctx, 3); // out, key, scratch
  const { mod, binaryen } = b;
  const uniform = node.attrs.dtype === 'f32';
  const n = sizeOf(node.output.type.shape);
  const half = Math.ceil(n / 2);
  // Blocks whose second counter is in range for all four lanes run as vectors.
  const vectorBlocks = Math.floor(Math.floor(n / 2) / 4) * 4;
  const i = b.local(binaryen.i32);
  const index = (): ExpressionRef => i.get();
  const at = (element: ExpressionRef): ExpressionRef => mod.i32.add(b.param(0), mod.i32.shl(element, b.i32(2)));

  const k = [b.local(binaryen.i32), b.local(binaryen.i32), b.local(binaryen.i32)];
  const key = (j: number) => (): ExpressionRef => k[j]!.get();
  const setup = [
    k[0]!.set(mod.i32.load(0, 4, b.param(1))),
    k[1]!.set(mod.i32.load(4, 4, b.param(1))),
    k[2]!.set(mod.i32.xor(b.i32(THREEFRY_PARITY), mod.i32.xor(key(0)(), key(1)()))),
  ];

  const vec = vectorLanes(b, uniform);
  const [v0, v1] = [b.local(binaryen.v128), b.local(binaryen.v128)];
  const laneOffsets = mod.v128.const(new Uint8Array(new Int32Array([0, 1, 2, 3]).buffer));
  const splatKeys = k.map(() => b.local(binaryen.v128));
  const vectorKey = (j: number) => (): ExpressionRef => splatKeys[j]!.get();
  const counters = (): ExpressionRef => mod.i32x4.add(mod.i32x4.splat(index()), laneOffsets);
  const vectorLoop =
    vectorBlocks > 0
      ? [
          ...splatKeys.map((l, j) => l.set(mod.i32x4.splat(key(j)()))),
          b.loop(i, b.i32(0), b.i32(vectorBlocks), 4, [
            v0.set(counters()),
            v1.set(mod.i32x4.add(counters(), b.i32x4(half))),
            ...threefry(b, vec, v0, v1, [vectorKey(0), vectorKey(1), vectorKey(2)]),
            vec.store(at(index()), vec.present(v0.get())),
            vec.store(at(mod.i32.add(index(), b.i32(half))), vec.present(v1.get())),
          ]),
        ]
      : [];

  const one = scalarLanes(b, uniform);
  const [s0, s1] = [b.local(binaryen.i32), b.local(binaryen.i32)];
  const second = (): ExpressionRef => mod.i32.add(index(), b.i32(half));
  const inRange = (): ExpressionRef => mod.i32.lt_s(second(), b.i32(n));
  const scalarLoop = b.loop(i, b.i32(vectorBlocks), b.i32(half), 1, [
    s0.set(index()),
    // An odd count pads the last block's second counter with 0, as the eager kernel does.
    s1.set(mod.select(inRange(), second(), b.i32(0))),
    ...threefry(b, one, s0, s1, [key(0), key(1), key(2)]),
    one.store(at(index()), one.present(s0.get())),
    mod.if(inRange(), one.store(at(second()), one.present(s1.get()))),
  ]);

  b.finish(name, [...setup, ...vectorLoop, scalarLoop]);
  return { name, scratchBytes: 0 };
}
