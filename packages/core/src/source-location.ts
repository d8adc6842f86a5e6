/**
 * @file Finds the user's source line in a stack trace, skipping Kiln's own frames, so errors and
 * traced nodes can point at the line that caused them.
 */
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Directories whose frames are Kiln's own (each package registers its `src`). */
const internalDirs: string[] = [];

/** Marks a package's source directory as internal; pass the `import.meta.url` of a file in it. */
export function registerInternalSource(moduleUrl: string): void {
  const dir = dirname(moduleUrl.startsWith('file:') ? fileURLToPath(moduleUrl) : moduleUrl);
  if (!internalDirs.includes(dir)) internalDirs.push(dir);
}
registerInternalSource(import.meta.url);

const FRAME = /\(?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;

function isInternal(file: string): boolean {
  if (file.startsWith('node:') || file.includes('/node_modules/')) return true;
  return internalDirs.some((dir) => file.startsWith(dir + '/'));
}

/** Parses one `at ...` line of a V8 stack trace. */
export function parseFrame(frameLine: string): SourceLocation | null {
  const m = FRAME.exec(frameLine.trim());
  if (!m) return null;
  const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
  return { file, line: Number(m[2]), column: Number(m[3]) };
}

/** The first frame of `stack` outside Kiln, or null. */
export function userFrameOf(stack: string | undefined): SourceLocation | null {
  if (!stack) return null;
  for (const line of stack.split('\n')) {
    if (!line.trimStart().startsWith('at ')) continue;
    const loc = parseFrame(line);
    if (loc && !isInternal(loc.file)) return loc;
  }
  return null;
}

/** The user's source location of the current call, or null when the whole stack is Kiln's. */
export function callerLocation(): SourceLocation | null {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 50;
  const stack = new Error().stack;
  Error.stackTraceLimit = limit;
  return userFrameOf(stack);
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}
