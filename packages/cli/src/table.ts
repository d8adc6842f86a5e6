/**
 * @file Plain-text tables for terminal output: left-aligned text, right-aligned numbers.
 */
import type { Colors } from './output.ts';

const isNumeric = (cell: string): boolean => /^-?[\d.,]+( ?(ms|B|KiB|MiB|%))?$/.test(cell);

/** Formats `rows` under `header`, columns padded to their widest cell; the header is dimmed on a TTY. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], colors: Colors): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const numeric = header.map((_, c) => rows.length > 0 && rows.every((r) => (r[c] ?? '') === '' || isNumeric(r[c]!)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [colors.dim(line(header)), ...rows.map(line)].join('\n');
}
