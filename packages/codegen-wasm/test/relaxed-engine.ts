/**
 * @file Lets a test file run relaxed-SIMD code on every Node: Node 20 has relaxed SIMD only behind
 * --experimental-wasm-relaxed-simd, which V8 reads when it validates a module, so it can be set
 * for one file and reset afterwards (later files in the jest worker must see the engine as it was).
 */
import { setFlagsFromString } from 'node:v8';
import { loadBinaryen } from '../src/binaryen.ts';
import { mulAdd } from '../src/fma.ts';

/** A `() -> v128` module returning relaxed_madd(0, 0, 0), encoded by Binaryen. */
async function relaxedProbe(): Promise<Uint8Array<ArrayBuffer>> {
  const binaryen = await loadBinaryen();
  const mod = new binaryen.Module();
  try {
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD);
    const zero = () => mod.v128.const(new Array<number>(16).fill(0));
    mod.addFunction(
      'f',
      binaryen.none,
      binaryen.v128,
      [],
      mulAdd({ binaryen, mod, fma: true }, zero(), zero(), zero()),
    );
    return mod.emitBinary() as Uint8Array<ArrayBuffer>;
  } finally {
    mod.dispose();
  }
}

/** Turns relaxed SIMD on where it is off; returns the undo (for afterAll). */
export async function enableRelaxedSimd(): Promise<() => void> {
  const probe = await relaxedProbe();
  if (WebAssembly.validate(probe)) return () => {};
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  if (!WebAssembly.validate(probe)) throw new Error('this engine has no relaxed SIMD, even behind its flag');
  return () => setFlagsFromString('--no-experimental-wasm-relaxed-simd');
}
