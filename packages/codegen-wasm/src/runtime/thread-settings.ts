/**
 * @file How many threads traced calls may use. The default is the machine's cores
 * (`os.availableParallelism()` in Node, `navigator.hardwareConcurrency` in browsers);
 * `KILN_THREADS=N` or `setNumThreads(n)` (PyTorch's name) overrides it, and 1 runs every call on
 * the calling thread alone, exactly as before threads existed.
 */
import { KilnArgumentError } from '@kiln-jit/core';
import { builtin, nodeProcess } from '../node-builtins.ts';

/** More threads than this buy nothing on the kernels Kiln splits, and each costs a worker. */
export const MAX_THREADS = 64;

function availableCores(): number {
  const os = builtin<typeof import('node:os')>('node:os');
  if (os) return os.availableParallelism?.() ?? os.cpus().length;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return nav?.hardwareConcurrency ?? 1;
}

function fromEnvironment(): number | null {
  const raw = nodeProcess()?.env.KILN_THREADS;
  if (raw === undefined || raw === '') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new KilnArgumentError(`KILN_THREADS must be a whole number of threads >= 1, got '${raw}'`, null);
  }
  return Math.min(n, MAX_THREADS);
}

let chosen: number | null = null;

/** Threads traced calls use: setNumThreads's value, else KILN_THREADS, else the cores. */
export function getNumThreads(): number {
  return (chosen ??= fromEnvironment() ?? Math.max(1, Math.min(availableCores(), MAX_THREADS)));
}

/** Sets the threads later traced calls use (1 = the calling thread only). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new KilnArgumentError(`setNumThreads: expected a whole number of threads >= 1, got ${String(n)}`);
  }
  chosen = Math.min(n, MAX_THREADS);
}
