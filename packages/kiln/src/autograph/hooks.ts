/**
 * @file Node module-customization hooks (registered by ./register.ts): after the loaders before
 * it (for TypeScript, tsx or Node's type stripping) have produced an ES module's JS, AutoGraph
 * rewrites it. Modules under node_modules and non-file URLs pass through.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { autographModule } from './module.ts';

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;
type NextLoadSync = (url: string, context?: unknown) => LoadResult;

const TS_FILE = /\.[cm]?tsx?$/;

/** The file a loaded module should be rewritten from, or null when it passes through. */
function target(url: string, result: LoadResult): string | null {
  if (result.format !== 'module' || !url.startsWith('file:') || url.includes('/node_modules/') || !result.source)
    return null;
  return fileURLToPath(url);
}

function rewrite(result: LoadResult, file: string, original: string | null): LoadResult {
  const code =
    typeof result.source === 'string' ? result.source : Buffer.from(result.source as ArrayBuffer).toString('utf8');
  const out = autographModule({ code, original: original ?? code, file });
  return out.changed ? { ...result, source: out.code } : result;
}

/** The hook for `module.register` (Node 20: off-thread, after the loaders registered before it). */
export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  const file = target(url, result);
  if (file === null) return result;
  return rewrite(result, file, TS_FILE.test(file) ? await readFile(file, 'utf8') : null);
}

/**
 * The hook for `module.registerHooks` (Node 22.15+/24: in-thread). tsx registers its own hooks
 * this way there, and in-thread hooks run after the off-thread ones, so AutoGraph must be
 * in-thread too to see tsx's JavaScript rather than the TypeScript source.
 */
export function loadSync(url: string, context: unknown, nextLoad: NextLoadSync): LoadResult {
  const result = nextLoad(url, context);
  const file = target(url, result);
  if (file === null) return result;
  return rewrite(result, file, TS_FILE.test(file) ? readFileSync(file, 'utf8') : null);
}
