/**
 * @file Small shape helpers of the code generator.
 */

/** The shape with its last axis reduced to 1 (one value per row). */
export function rowShapeOf(shape: readonly number[]): number[] {
  return [...shape.slice(0, -1), 1];
}
