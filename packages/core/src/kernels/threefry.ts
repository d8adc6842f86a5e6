/**
 * @file Threefry-2x32 with 20 rounds (Salmon et al., "Parallel Random Numbers: As Easy as 1, 2,
 * 3", SC'11), the counter-based generator JAX uses: a keyed hash of a 64-bit counter, so any
 * element's random bits can be computed on its own, in any order, on any backend. Only 32-bit
 * integer adds, rotations and xors, which JavaScript and WebAssembly compute identically.
 * Here also: the eager kernel of the `randomBits` op.
 */
import { makeTensor, type Tensor } from '../tensor.ts';
import type { TensorType } from '../ops/shape-rules.ts';
import type { OpAttrs } from '../ops/names.ts';
import { sizeOf } from '../shape.ts';

/** Rotation amounts of the 2x32 variant, four per group of rounds. */
export const THREEFRY_ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24] as const;
/** The key-schedule parity constant (Skein's C240, truncated to 32 bits). */
export const THREEFRY_PARITY = 0x1bd11bda;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** Hashes counter (c0, c1) with key (k0, k1); returns the two 32-bit words (as signed i32 values). */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0 | 0, k1 | 0, (THREEFRY_PARITY ^ k0 ^ k1) | 0];
  let x0 = (c0 + ks[0]!) | 0;
  let x1 = (c1 + ks[1]!) | 0;
  for (let group = 0; group < 5; group++) {
    for (let r = 0; r < 4; r++) {
      x0 = (x0 + x1) | 0;
      x1 = rotl(x1, THREEFRY_ROTATIONS[(group % 2) * 4 + r]!) ^ x0;
    }
    // Key injection after every four rounds.
    x0 = (x0 + ks[(group + 1) % 3]!) | 0;
    x1 = (x1 + ks[(group + 2) % 3]! + group + 1) | 0;
  }
  return [x0, x1];
}

/**
 * `count` random 32-bit words from `key`, laid out as JAX's threefry_random_bits lays them:
 * the counters 0..count-1 are split into two halves that are hashed as pairs (an odd count pads
 * the second half with a 0), and the first words of the pairs come before the second words.
 */
export function threefryBits(k0: number, k1: number, count: number, out: Int32Array): void {
  const half = Math.ceil(count / 2);
  for (let i = 0; i < half; i++) {
    const second = i + half;
    const [x0, x1] = threefry2x32(k0, k1, i, second < count ? second : 0);
    out[i] = x0;
    if (second < count) out[second] = x1;
  }
}

/** The uniform float in [0, 1) that 32 random bits give: their top 23 bits as a binary fraction (as JAX does). */
export function bitsToUnit(bits: number): number {
  return (bits >>> 9) * 2 ** -23;
}

/** The randomBits op: raw words (i32) or uniform floats in [0, 1) (f32) for `key`. */
export function randomBitsKernel(inputs: readonly Tensor[], attrs: OpAttrs['randomBits'], out: TensorType): Tensor {
  const key = inputs[0]!.concreteData();
  const n = sizeOf(out.shape);
  const bits = new Int32Array(n);
  threefryBits(key[0]!, key[1]!, n, bits);
  if (attrs.dtype === 'i32') return makeTensor(out.shape, 'i32', bits);
  return makeTensor(out.shape, 'f32', Float32Array.from(bits, bitsToUnit));
}
