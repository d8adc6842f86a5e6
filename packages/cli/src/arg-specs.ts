/**
 * @file `--args "f32[128,784] i32[128]"`: tensor types written as the IR prints them, one per
 * argument of the traced function, turned into the `{ shape, dtype }` specs trace() accepts.
 */
import { parseSpec, type TensorSpec } from '@kiln-jit/tracer';
import { UsageError } from './errors.ts';

/** Splits on spaces outside brackets, so `f32[128, 784]` stays one type. */
function tokens(text: string): string[] {
  return text.match(/[^\s[]*\[[^\]]*\]?|[^\s[]+/g) ?? [];
}

/** Parses `--args`; throws a UsageError naming the first type it cannot read. */
export function parseArgSpecs(text: string): TensorSpec[] {
  const parts = tokens(text);
  if (parts.length === 0)
    throw new UsageError(`bad --args '${text}': give one tensor type per argument, like "f32[128,784] i32[128]"`);
  return parts.map((part) => {
    const spec = parseSpec(part);
    if (!spec)
      throw new UsageError(
        `bad --args: '${part}' is not a tensor type like f32[128,784] (dtypes f32, i32, bool; dimensions non-negative integers)`,
      );
    return spec;
  });
}
