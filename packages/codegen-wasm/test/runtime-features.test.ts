import { describe, expect, it } from '@jest/globals';
import { loadBinaryen } from '../src/binaryen.ts';
import { runtimeFeatures } from '../src/runtime-features.ts';

/** Binaryen's own encoding of a `() -> v128` function, as an independent check of our probe bytes. */
async function binaryenModule(relaxed: boolean): Promise<Uint8Array<ArrayBuffer>> {
  const b = await loadBinaryen();
  const mod = new b.Module();
  mod.setFeatures(b.Features.MVP | b.Features.SIMD128 | (relaxed ? b.Features.RelaxedSIMD : 0));
  const zero = () => mod.v128.const(new Array<number>(16).fill(0));
  const capi = b as unknown as { _BinaryenSIMDTernary(...args: number[]): number };
  const body = relaxed
    ? capi._BinaryenSIMDTernary(mod.ptr, b.RelaxedMaddVecF32x4, zero(), zero(), zero())
    : mod.f32x4.add(zero(), zero());
  mod.addFunction('f', b.none, b.v128, [], body);
  const bytes = mod.emitBinary() as Uint8Array<ArrayBuffer>;
  mod.dispose();
  return bytes;
}

describe('runtime feature detection', () => {
  const features = runtimeFeatures();
  const major = Number(process.versions.node.split('.')[0]);

  it('agrees with what this engine accepts from Binaryen-built modules', async () => {
    expect(features.simd).toBe(WebAssembly.validate(await binaryenModule(false)));
    expect(features.relaxedSimd).toBe(WebAssembly.validate(await binaryenModule(true)));
    expect(features.threads).toBe(typeof SharedArrayBuffer === 'function');
  });

  it('finds relaxed SIMD on Node 22+ and on Node 20 only behind its flag', () => {
    expect(features.simd).toBe(true);
    const flagged = process.execArgv.includes('--experimental-wasm-relaxed-simd');
    expect(features.relaxedSimd).toBe(major >= 22 || flagged); // V8 11.4+ ships it (Node 22 has 12.4)
  });
});
