/**
 * @file Numbers JSON has no text for (it writes ±Infinity and NaN as null, and -0 as 0), as
 * markers, so that what is written down (planned graphs, helper keys) keeps every constant.
 */

/** `x` itself, or `{ n: 'Infinity' | '-Infinity' | 'NaN' | '-0' }` for the numbers JSON loses. */
export function jsonNumber(x: number): number | { n: string } {
  return Number.isFinite(x) && !Object.is(x, -0) ? x : { n: Object.is(x, -0) ? '-0' : String(x) };
}
