/**
 * @file Retrace bookkeeping: the log of why each retrace happened, and the storm warning when a
 * function keeps retracing (each retrace traces and compiles again, which users rarely intend).
 */
import { signatureChanges, type Signature } from '../signature.ts';
import { warn } from '../warnings.ts';
import type { RetraceRecord } from './types.ts';

const STORM_WINDOW = 10;
const STORM_THRESHOLD = 5;

export class RetraceMonitor {
  readonly log: RetraceRecord[] = [];
  /** Per call in the window: false = served from cache, otherwise the argument that changed. */
  private readonly window: (string | false)[] = [];
  private stormWarned = false;

  constructor(private readonly name: string) {}

  /** Logs a retrace at call `call` from the last signature to `next`; returns the argument that changed. */
  retraced(call: number, last: Signature | null, next: Signature): string {
    const changes = last ? signatureChanges(last, next) : [];
    const message = changes.length
      ? changes.map((c) => `${c.argument} changed from ${c.from} to ${c.to}`).join('; ')
      : 'a signature seen before was dropped from the cache (LRU)';
    this.log.push({ call, changes, message });
    return changes[0]?.argument ?? 'signature';
  }

  /** Records one call in the storm window (`retracedArgument` null: served from cache or first trace). */
  noteCall(retracedArgument: string | null): void {
    this.window.push(retracedArgument ?? false);
    if (this.window.length > STORM_WINDOW) this.window.shift();
    const retraces = this.window.filter((x) => x !== false);
    if (retraces.length <= STORM_THRESHOLD) {
      this.stormWarned = false;
      return;
    }
    if (this.stormWarned) return;
    this.stormWarned = true;
    const change = this.log.at(-1)?.changes[0];
    warn(
      `function '${this.name}' retraced ${retraces.length} times in its last ${this.window.length} calls; ` +
        (change ? `'${change.argument}' keeps changing (latest: ${change.from} -> ${change.to}). ` : '') +
        'Each retrace traces and compiles again. Keep shapes fixed, pass changing numbers as tensors, or give an inputSignature.',
    );
  }
}
