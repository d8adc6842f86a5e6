/**
 * @file console.log inside a traced function runs only while tracing. While tracing a body whose
 * source calls console methods, the calls are recorded with their locations, and the user is
 * warned once per function, at the first call's line, with the way out (print).
 */
import { callerLocation, formatLocation, type SourceLocation } from '@kiln-jit/core';
import type { SourceFacts } from '../source-check.ts';
import { warn } from '../warnings.ts';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

/** Records where console methods are called from while `fn` runs (calling them as usual). */
function withConsoleRecorded<T>(seen: SourceLocation[], fn: () => T): T {
  const originals = CONSOLE_METHODS.map((m) => console[m]);
  CONSOLE_METHODS.forEach((m, i) => {
    console[m] = (...data: unknown[]) => {
      const loc = callerLocation();
      if (loc) seen.push(loc);
      originals[i]!.apply(console, data);
    };
  });
  try {
    return fn();
  } finally {
    CONSOLE_METHODS.forEach((m, i) => (console[m] = originals[i]!));
  }
}

export class ConsoleWatch {
  private warned = false;

  constructor(private readonly name: string) {}

  /** Runs `trace` (the body under tracing), watching console calls if the source has any. */
  during<T>(facts: SourceFacts, trace: () => T): T {
    if (facts.consoleCalls.length === 0) return trace();
    const seen: SourceLocation[] = [];
    const result = withConsoleRecorded(seen, trace);
    this.warn(facts, seen);
    return result;
  }

  private warn(facts: SourceFacts, seen: SourceLocation[]): void {
    const calls = facts.consoleCalls;
    if (this.warned) return;
    this.warned = true;
    const where = seen.length ? `at ${formatLocation(seen[0]!)}` : `line ${calls[0]!.line} of its source`;
    warn(
      `console.${calls[0]!.method} in traced function '${this.name}' (${where}) runs only while tracing, not on every call. ` +
        `Use print(t, label) to print a tensor on every call.`,
    );
  }
}
