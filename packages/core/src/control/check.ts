/**
 * @file The type checks every interpreter applies to control-flow regions, with messages that
 * name the construct, both sides of a mismatch and the user's line.
 */
import { KilnArgumentError, KilnDTypeError, KilnShapeError } from '../errors.ts';
import { shapesEqual } from '../shape.ts';
import type { TensorType } from '../ops/rules.ts';
import { typeString } from '../ops/shape-rules.ts';

/** Throws unless `got` has exactly the types of `want`; `names` label the two sides in the message. */
export function checkSameTypes(
  api: string,
  what: string,
  want: readonly TensorType[],
  got: readonly TensorType[],
  names: readonly [string, string],
): void {
  if (want.length !== got.length) {
    throw new KilnArgumentError(
      `${api}: ${names[0]} gives ${want.length} ${what} tensor(s) but ${names[1]} gives ${got.length}`,
    );
  }
  want.forEach((w, i) => {
    const g = got[i]!;
    if (w.dtype !== g.dtype || !shapesEqual(w.shape, g.shape)) {
      const Err = w.dtype !== g.dtype ? KilnDTypeError : KilnShapeError;
      throw new Err(
        `${api}: ${what} [${i}] is ${typeString(w)} from ${names[0]} but ${typeString(g)} from ${names[1]}; both must have the same dtype and shape`,
      );
    }
  });
}

/** Throws unless `t` is a single bool: the predicate of cond and the test of whileLoop. */
export function checkPredicate(api: string, what: string, t: TensorType): void {
  const size = t.shape.reduce((a, d) => a * d, 1);
  if (t.dtype !== 'bool' || size !== 1) {
    throw new KilnDTypeError(
      `${api}: ${what} must be a bool scalar, got ${typeString(t)}; compare it first, e.g. greater(x, 0)`,
    );
  }
}
