import { describe, expect, it } from '@jest/globals';
import { loadBinaryen } from '../src/binaryen.ts';

describe('binaryen loads in jest ESM mode', () => {
  it('builds, validates and runs a SIMD module', async () => {
    const b = await loadBinaryen();
    const mod = new b.Module();
    mod.setFeatures(b.Features.MVP | b.Features.SIMD128);
    mod.addFunction(
      'add4',
      b.createType([b.v128, b.v128]),
      b.v128,
      [],
      mod.f32x4.add(mod.local.get(0, b.v128), mod.local.get(1, b.v128)),
    );
    mod.addFunction(
      'sum',
      b.createType([b.f32, b.f32]),
      b.f32,
      [],
      mod.f32x4.extract_lane(
        mod.f32x4.add(mod.f32x4.splat(mod.local.get(0, b.f32)), mod.f32x4.splat(mod.local.get(1, b.f32))),
        2,
      ),
    );
    mod.addFunctionExport('sum', 'sum');
    expect(mod.validate()).toBeTruthy();
    const inst = await WebAssembly.instantiate(mod.emitBinary() as Uint8Array<ArrayBuffer>);
    expect((inst.instance.exports.sum as (a: number, b: number) => number)(1.5, 2)).toBe(3.5);
    mod.dispose();
  });
});
