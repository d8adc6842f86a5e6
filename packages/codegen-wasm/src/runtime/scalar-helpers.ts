/**
 * @file The scalar JavaScript helpers compiled modules import for ops WebAssembly has no lane
 * instruction for. They are core's own eager scalar functions, so results match eager exactly.
 */
import { binaryScalar } from '@kiln/core';

const f32 = (op: 'pow' | 'mod') => binaryScalar[op].f32 as (a: number, b: number) => number;
const i32 = (op: 'div' | 'mod') => binaryScalar[op].i32 as (a: number, b: number) => number;

export const scalarHelpers = {
  pow: f32('pow'),
  floorMod: f32('mod'),
  intFloorDiv: i32('div'),
  intFloorMod: i32('mod'),
};
