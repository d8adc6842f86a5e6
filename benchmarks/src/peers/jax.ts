/**
 * @file jax-js as a peer: its `jit` on its wasm device, loaded only when a run asks for it. In
 * Node it is single-threaded: its wasm worker pool needs a global `Worker`, which Node lacks, so
 * every kernel runs synchronously on the calling thread (as tfjs-wasm runs on one thread here).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Jax } from '../workloads/types.ts';

let loaded: Promise<Jax> | null = null;

/** jax-js with its wasm device initialized and made the default (loaded once). */
export function loadJax(): Promise<Jax> {
  return (loaded ??= (async () => {
    const jax = await import('@jax-js/jax');
    // No device is usable before init() has created it; the default device is then wasm, but
    // say so rather than depend on that.
    const devices = await jax.init('wasm');
    if (!devices.includes('wasm')) throw new Error('jax-js: its wasm device failed to initialize');
    jax.defaultDevice('wasm');
    return jax;
  })());
}

/** The installed jax-js version, for the results file (the package exports no version). */
export function jaxVersion(): string {
  // The package's exports map hides package.json; its entry point sits in dist/ beside it.
  const entry = createRequire(import.meta.url).resolve('@jax-js/jax');
  const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
