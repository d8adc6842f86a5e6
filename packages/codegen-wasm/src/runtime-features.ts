/**
 * @file What this JavaScript engine's WebAssembly can do, found out by validating tiny modules,
 * never assumed from a version number: relaxed SIMD is on by default in Node 24 but needs
 * `--experimental-wasm-relaxed-simd` in Node 20, and threads need SharedArrayBuffer (in browsers,
 * only on cross-origin-isolated pages). Code generation asks here before emitting an optional
 * instruction, and the compile cache keys on the answer.
 */
import { nodeProcess } from './node-builtins.ts';

export interface RuntimeFeatures {
  /** Fixed-width SIMD (v128); Kiln's kernels require it. */
  readonly simd: boolean;
  /** Relaxed SIMD (`f32x4.relaxed_madd`, a fused multiply-add). */
  readonly relaxedSimd: boolean;
  /** Shared memories and atomics (a shared WebAssembly.Memory and SharedArrayBuffer exist). */
  readonly threads: boolean;
}

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const V128_CONST_ZERO = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];

/** A module with one `() -> v128` function whose body is `instructions`. */
function moduleReturningV128(instructions: readonly number[]): Uint8Array<ArrayBuffer> {
  const body = [0x00 /* no locals */, ...instructions, 0x0b /* end */];
  const code = [0x01, body.length, ...body];
  return new Uint8Array([
    ...HEADER,
    ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // type section: () -> v128
    ...[0x03, 0x02, 0x01, 0x00], // function section: one function of type 0
    ...[0x0a, code.length, ...code], // code section
  ]);
}

/** v128.const 0 ×2, f32x4.add (0xfd 0xe4 0x01). */
const SIMD_PROBE = moduleReturningV128([...V128_CONST_ZERO, ...V128_CONST_ZERO, 0xfd, 0xe4, 0x01]);
/** v128.const 0 ×3, f32x4.relaxed_madd (0xfd 0x85 0x02, opcode 0x105). */
const RELAXED_SIMD_PROBE = moduleReturningV128([
  ...V128_CONST_ZERO,
  ...V128_CONST_ZERO,
  ...V128_CONST_ZERO,
  0xfd,
  0x85,
  0x02,
]);
/** A memory section declaring one shared memory of 1 page (flags 3: shared, has maximum). */
const SHARED_MEMORY_PROBE = new Uint8Array([...HEADER, 0x05, 0x04, 0x01, 0x03, 0x01, 0x01]);

function validates(bytes: Uint8Array<ArrayBuffer>): boolean {
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

let detected: RuntimeFeatures | undefined;

/** This runtime's WebAssembly features (probed once per process). */
export function runtimeFeatures(): RuntimeFeatures {
  detected ??= Object.freeze({
    simd: validates(SIMD_PROBE),
    relaxedSimd: validates(RELAXED_SIMD_PROBE),
    threads: typeof SharedArrayBuffer === 'function' && validates(SHARED_MEMORY_PROBE),
  });
  return detected;
}

/**
 * Whether the next compile emits relaxed-SIMD fused multiply-adds (matmul tiles, the SIMD math
 * polynomials): where the runtime has them, unless `KILN_RELAXED_SIMD=0`. relaxed_madd may be
 * fused on one CPU and not on another, so results can differ in the last bits between machines;
 * the variable trades that speed for bit-reproducibility. Read on every compile, so it can be
 * toggled at run time; the answer travels with the compile (cache key, worker request).
 */
export function useRelaxedSimd(): boolean {
  return runtimeFeatures().relaxedSimd && nodeProcess()?.env.KILN_RELAXED_SIMD !== '0';
}
