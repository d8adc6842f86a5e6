/**
 * @file Per-op copies of generic loops. A loop that calls a scalar function `f` gets polymorphic
 * feedback when it is shared by many ops, and V8 then stops inlining `f`. Compiling a fresh copy
 * of the loop for each op keeps every call site monomorphic, so each op gets a tight loop.
 */

/** A fresh copy of a self-contained function (it may use only its parameters and globals). */
export function specialize<F extends (...args: never[]) => unknown>(fn: F): F {
  return new Function(`return (${fn.toString()});`)() as F;
}
