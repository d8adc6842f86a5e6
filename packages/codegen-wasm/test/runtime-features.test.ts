import { afterEach, describe, expect, it } from '@jest/globals';
import * as k from '@kiln-jit/core';
import { memoryPlanOf, parseGraph, planMemory, trace } from '@kiln-jit/tracer';
import { loadBinaryen } from '../src/binaryen.ts';
import { cacheKey } from '../src/compile-cache.ts';
import { codegenOptions } from '../src/codegen-options.ts';
import { wasmMemoryPolicy } from '../src/index.ts';
import { runtimeFeatures, useRelaxedSimd } from '../src/runtime-features.ts';

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

describe('the relaxed-SIMD choice on this engine as started', () => {
  const saved = process.env.KILN_RELAXED_SIMD;
  afterEach(() => {
    if (saved === undefined) delete process.env.KILN_RELAXED_SIMD;
    else process.env.KILN_RELAXED_SIMD = saved;
  });
  const matmulWat = async () => {
    await loadBinaryen();
    const f = trace((x: k.Tensor, y: k.Tensor) => k.exp(k.matmul(x, y)), { backend: 'wasm' });
    return f.ir({ shape: [8, 16] }, { shape: [16, 12] }, { stage: 'wat' });
  };

  it('uses FMA exactly where the engine has relaxed SIMD (on Node 20 without its flag: never)', async () => {
    delete process.env.KILN_RELAXED_SIMD;
    expect(useRelaxedSimd()).toBe(runtimeFeatures().relaxedSimd);
    expect((await matmulWat()).includes('f32x4.relaxed_madd')).toBe(runtimeFeatures().relaxedSimd);
  });

  it('falls back to mul and add with KILN_RELAXED_SIMD=0', async () => {
    process.env.KILN_RELAXED_SIMD = '0';
    expect(useRelaxedSimd()).toBe(false);
    expect(await matmulWat()).not.toContain('relaxed');
  });

  it('keys the compile cache on the choice', () => {
    const graph = planMemory(parseGraph('graph @g(%x: f32[8]) {\n  %y: f32[8] = exp %x\n  return %y\n}'), {
      memoryPolicy: wasmMemoryPolicy,
    });
    const key = (relaxedSimd: boolean) => cacheKey(graph, memoryPlanOf(graph)!, { ...codegenOptions(), relaxedSimd });
    expect(key(true)).toMatch(/^[0-9a-f]{32}$/);
    expect(key(false)).toMatch(/^[0-9a-f]{32}$/);
    expect(key(true)).not.toBe(key(false));
  });
});
