/**
 * @file TensorFlow.js as the peer: tfjs-core with its wasm (XNNPACK, SIMD, one thread here) and
 * cpu (plain JS) backends, loaded only when a run asks for peers. The wasm backend's .wasm files are read from
 * the package's own dist folder.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Tf, TfjsMode } from '../workloads/types.ts';

let loaded: Promise<Tf> | null = null;

/** tfjs-core with both backends registered (loaded once). */
export function loadTfjs(): Promise<Tf> {
  return (loaded ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    // tfjs-core's Node entry leaves the gradient rules out (their ES sources do not load in
    // Node); the @tensorflow/tfjs bundle registers them into this same tfjs-core.
    await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-cpu');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(`${dist}/`);
    // PROD drops debug checks and the "install tfjs-node" notice; neither belongs in a timing.
    tf.env().set('PROD', true);
    return tf;
  })());
}

export const TFJS_BACKEND: Record<TfjsMode, string> = { 'tfjs-wasm': 'wasm', 'tfjs-cpu': 'cpu' };

/** Loads tfjs and makes `mode`'s backend the active one. */
export async function activatePeer(mode: TfjsMode): Promise<Tf> {
  const tf = await loadTfjs();
  if (tf.getBackend() !== TFJS_BACKEND[mode]) {
    const ok = await tf.setBackend(TFJS_BACKEND[mode]);
    if (!ok) throw new Error(`TensorFlow.js backend ${TFJS_BACKEND[mode]} failed to initialize`);
  }
  return tf;
}

/** The installed tfjs-core version, for the results file. */
export async function tfjsVersion(): Promise<string> {
  return (await loadTfjs()).version_core;
}
