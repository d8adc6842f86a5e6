/**
 * @file Prints tensors the way numpy and tfjs do: nested brackets, aligned columns, and `...`
 * for large dimensions.
 */
import type { DType, TypedArray } from './dtype.ts';
import { formatShape, sizeOf } from './shape.ts';

/** Dimensions longer than this print their first and last EDGE_ITEMS entries. */
const SUMMARIZE_OVER = 1000;
const EDGE_ITEMS = 3;

function formatNumber(x: number, dtype: DType, decimals: number): string {
  if (dtype === 'bool') return x ? 'true' : 'false';
  if (dtype === 'i32' || !Number.isFinite(x)) return String(x);
  return decimals === 0 ? `${x}.` : x.toFixed(decimals);
}

/** Shows 4 decimals unless every finite value is an integer. */
function decimalsFor(data: TypedArray, dtype: DType): number {
  if (dtype !== 'f32') return 0;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if (Number.isFinite(x) && !Number.isInteger(x)) return 4;
  }
  return 0;
}

export function formatTensor(data: TypedArray, shape: readonly number[], dtype: DType): string {
  const summarize = sizeOf(shape) > SUMMARIZE_OVER;
  const decimals = decimalsFor(data, dtype);
  const strings = Array.from(data, (x) => formatNumber(x, dtype, decimals));
  const width = strings.reduce((w, s) => Math.max(w, s.length), 0);
  const strides = shape.map((_, i) => sizeOf(shape.slice(i + 1)));
  const indices = (n: number): (number | null)[] =>
    summarize && n > 2 * EDGE_ITEMS
      ? [
          ...Array.from({ length: EDGE_ITEMS }, (_, i) => i),
          null,
          ...Array.from({ length: EDGE_ITEMS }, (_, i) => n - EDGE_ITEMS + i),
        ]
      : Array.from({ length: n }, (_, i) => i);
  const block = (dim: number, offset: number, indent: string): string => {
    if (dim === shape.length) return strings[offset]!.padStart(width);
    const parts = indices(shape[dim]!).map((i) =>
      i === null ? '...' : block(dim + 1, offset + i * strides[dim]!, indent + ' '),
    );
    const sep = dim === shape.length - 1 ? ', ' : ',' + '\n'.repeat(shape.length - dim - 1) + indent + ' ';
    return `[${parts.join(sep)}]`;
  };
  return `Tensor ${dtype}${formatShape(shape)}\n${block(0, 0, '')}`;
}
