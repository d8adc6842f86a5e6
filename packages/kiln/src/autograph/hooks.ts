/**
 * @file Node module-customization hooks (registered by ./register.ts): after the loaders before
 * it (for TypeScript, tsx or Node's type stripping) have produced an ES module's JS, AutoGraph
 * rewrites it. Modules under node_modules and non-file URLs pass through.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { autographModule } from './module.ts';

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;

const TS_FILE = /\.[cm]?tsx?$/;

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (result.format !== 'module' || !url.startsWith('file:') || url.includes('/node_modules/') || !result.source)
    return result;
  const code =
    typeof result.source === 'string' ? result.source : Buffer.from(result.source as ArrayBuffer).toString('utf8');
  const file = fileURLToPath(url);
  const original = TS_FILE.test(file) ? await readFile(file, 'utf8') : code;
  const out = autographModule({ code, original, file });
  return out.changed ? { ...result, source: out.code } : result;
}
