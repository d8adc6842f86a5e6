/**
 * @file Finds the line of a marker comment in a test file, so tests can check reported source
 * lines without hard-coding numbers that break when the file is edited.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function lineOf(moduleUrl: string, marker: string): number {
  const lines = readFileSync(fileURLToPath(moduleUrl), 'utf8').split('\n');
  const index = lines.findIndex((l) => l.includes(marker));
  if (index < 0) throw new Error(`marker ${marker} not found`);
  return index + 1;
}
