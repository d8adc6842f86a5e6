/**
 * @file Thread counts for the Wasm rows: which counts a run measures by default, and running a
 * piece of a row under its own count. Kiln's thread setting is one global, and rows (a suspect
 * re-measured by the gate, the memory probe) can follow one another in any order, so each row
 * sets its count around everything it runs and puts the previous one back.
 */
import { getNumThreads, setNumThreads } from 'kiln-jit';
import { wasmMode, type Mode } from './workloads/index.ts';

/**
 * One thread (comparable with older baselines and with the single-threaded peers), plus Kiln's
 * own default (KILN_THREADS, else the machine's cores) when that differs: what a user gets.
 */
export function defaultThreadCounts(): number[] {
  const byDefault = getNumThreads();
  return byDefault === 1 ? [1] : [1, byDefault];
}

/** `modes` with `wasm` replaced by one Wasm mode per thread count, in the order given. */
export function expandThreads(modes: readonly Mode[], threads: readonly number[]): Mode[] {
  return modes.flatMap((m) => (m === 'wasm' ? threads.map(wasmMode) : [m]));
}

/** Runs `f` with Kiln set to `threads` threads (null: as it is), then restores the setting. */
export function withThreads<T>(threads: number | null, f: () => T): T {
  if (threads === null) return f();
  const previous = getNumThreads();
  setNumThreads(threads);
  try {
    return f();
  } finally {
    setNumThreads(previous);
  }
}
