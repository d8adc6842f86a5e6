/**
 * @file Kiln's warnings: one place, so tests can watch them and users can recognise them.
 */

/** Prints a warning prefixed with `kiln:`. */
export function warn(message: string): void {
  console.warn(`kiln: ${message}`);
}
