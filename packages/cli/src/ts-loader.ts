/**
 * @file Registers tsx so the user's TypeScript files can be imported. It is registered only when a
 * TypeScript file is loaded, after Kiln itself (built JavaScript) and Binaryen are in the module
 * cache, so neither goes through tsx's transform.
 */
import { extname } from 'node:path';

const REGISTERED = Symbol.for('kiln-jit.tsx');
const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Makes `import()` of `path` work when it is TypeScript; a no-op for JavaScript. */
export async function prepareLoaderFor(path: string): Promise<void> {
  const flags = globalThis as Record<symbol, unknown>;
  if (!TS_EXTENSIONS.has(extname(path)) || flags[REGISTERED]) return;
  const { register } = await import('tsx/esm/api');
  register();
  flags[REGISTERED] = true;
}
