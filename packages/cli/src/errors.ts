/**
 * @file The CLI's two kinds of failure and their exit codes: a usage error (bad command line, a
 * file that cannot be read or parsed, a function that is not there: exit 2) and a failure of the
 * user's own program while it loads or traces (exit 1).
 */
import { relative } from 'node:path';
import { userFrameOf, type SourceLocation } from '@kiln-jit/core';

export const EXIT_OK = 0;
export const EXIT_PROGRAM_FAILED = 1;
export const EXIT_USAGE = 2;

/** The command line asks for something that cannot be done: exit code 2, one line on stderr. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
}

/** The user's program threw while loading or tracing: exit code 1. */
export class ProgramError extends Error {
  readonly exitCode = EXIT_PROGRAM_FAILED;
}

/** A path as the user would type it: relative to the working directory when under it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return path.startsWith('/') && !rel.startsWith('..') ? rel : path;
}

/** `file:line:col` of a location. */
export function formatLocation(loc: SourceLocation): string {
  return `${displayPath(loc.file)}:${loc.line}:${loc.column}`;
}

/** What the user's program threw, as one line: `file:line:col: Name: message`. */
export function describeThrown(thrown: unknown): string {
  if (!(thrown instanceof Error)) return `threw ${String(thrown)}`;
  const kilnLocation = (thrown as { location?: SourceLocation | null }).location;
  const detail = (thrown as { detail?: string }).detail ?? thrown.message.split('\n')[0]!;
  const loc = kilnLocation ?? userFrameOf(thrown.stack);
  return `${loc ? `${formatLocation(loc)}: ` : ''}${thrown.name}: ${detail}`;
}

/** Runs `body`, turning anything the user's code throws into a ProgramError saying `what` failed. */
export async function asProgramStep<T>(what: string, body: () => T | Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (thrown) {
    if (thrown instanceof UsageError || thrown instanceof ProgramError) throw thrown;
    throw new ProgramError(`${what}: ${describeThrown(thrown)}`);
  }
}
