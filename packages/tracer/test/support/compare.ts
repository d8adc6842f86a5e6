/**
 * @file Comparing tensors and pytrees of tensors in tests: same shape and dtype, values equal
 * within |a - b| <= atol + rtol·|b|, NaN where the other has NaN, and infinities that match.
 */
import { expect } from '@jest/globals';
import { flatten, Tensor, Variable } from '@kiln-jit/core';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** The tracer issue's bar: traced equals eager within 1e-5 relative. */
export const TRACE_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6 };

/** Describes the first element where `actual` and `expected` disagree, or null if they agree. */
export function firstMismatch(actual: Tensor, expected: Tensor, tol: Tolerance): string | null {
  if (actual.dtype !== expected.dtype || actual.shape.join() !== expected.shape.join()) {
    return `type ${actual.typeString} vs ${expected.typeString}`;
  }
  const a = actual.dataSync();
  const b = expected.dataSync();
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return `element ${i}: ${x} vs ${y}`;
      continue;
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (x !== y) return `element ${i}: ${x} vs ${y}`;
      continue;
    }
    if (Math.abs(x - y) > tol.atol + tol.rtol * Math.abs(y))
      return `element ${i}: ${x} vs ${y} (diff ${Math.abs(x - y)})`;
  }
  return null;
}

function leafTensor(x: unknown): unknown {
  return x instanceof Variable ? x.value : x;
}

/** Asserts two pytrees hold the same non-tensor leaves and close tensors. */
export function expectTreeClose(
  actual: unknown,
  expected: unknown,
  tol: Tolerance = TRACE_TOLERANCE,
  what = 'value',
): void {
  const a = flatten(actual, (x) => x instanceof Tensor);
  const b = flatten(expected, (x) => x instanceof Tensor);
  expect(a.leaves.length).toBe(b.leaves.length);
  a.leaves.forEach((leaf, i) => {
    const x = leafTensor(leaf);
    const y = leafTensor(b.leaves[i]);
    if (x instanceof Tensor && y instanceof Tensor) {
      const problem = firstMismatch(x, y, tol);
      if (problem) throw new Error(`${what}, leaf ${i}: ${problem}`);
    } else {
      expect(x).toEqual(y);
    }
  });
}
