/**
 * @file Where the CLI writes: colors only when the stream is a terminal (and NO_COLOR is unset),
 * JSON for `--json`.
 */
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

/** Color functions for `stream`: real ones on a TTY, identity functions otherwise. */
export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Colors {
  return pc.createColors(Boolean(stream.isTTY) && !('NO_COLOR' in env));
}

/** Colors for standard output and standard error. */
export const out = colorsFor(process.stdout);
export const err = colorsFor(process.stderr);

/** Writes `text` to standard output, adding a final newline if it has none. */
export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes `data` as indented JSON. */
export function printJson(data: unknown): void {
  print(JSON.stringify(data, null, 2));
}
