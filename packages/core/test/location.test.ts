import { describe, expect, it } from '@jest/globals';
import { add, ones, KilnShapeError } from '../src/index.ts';

describe('error locations', () => {
  it('point at the caller line', () => {
    let err: unknown;
    try {
      add(ones([2]), ones([3])); // line 8
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KilnShapeError);
    expect((err as KilnShapeError).location?.line).toBe(8);
    expect((err as KilnShapeError).location?.file).toMatch(/location\.test\.ts$/);
  });
});
