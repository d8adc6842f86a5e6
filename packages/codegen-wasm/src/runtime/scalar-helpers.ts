/**
 * @file The scalar JavaScript helpers compiled modules import for ops WebAssembly has no lane
 * instruction for. They are core's own eager scalar functions, so results match eager exactly.
 */
import { binaryScalar } from '@kiln-jit/core';

const f32 = (op: 'pow' | 'mod') => binaryScalar[op].f32 as (a: number, b: number) => number;
/** i32 results wrap (Infinity and NaN give 0) as they do when eager stores them in an Int32Array. */
const i32 = (op: 'pow' | 'div' | 'mod') => {
  const f = (binaryScalar[op].i32 ?? binaryScalar[op].f32) as (a: number, b: number) => number;
  return (a: number, b: number): number => f(a, b) | 0;
};

export const scalarHelpers = {
  pow: f32('pow'),
  floorMod: f32('mod'),
  intPow: i32('pow'),
  intFloorDiv: i32('div'),
  intFloorMod: i32('mod'),
};
