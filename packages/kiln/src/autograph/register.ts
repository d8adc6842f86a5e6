/**
 * @file `node --import kiln-jit/autograph app.mjs`: registers the AutoGraph load hook, so the
 * modules loaded after it have `if`/`while`/`for` on tensors in traced functions turned into
 * cond/whileLoop. For TypeScript through tsx, import tsx first: `node --import tsx --import
 * kiln-jit/autograph app.ts` (hooks registered later see the JS the earlier ones produce).
 */
import * as nodeModule from 'node:module';
import { loadSync } from './hooks.ts';

type RegisterHooks = (hooks: { load: typeof loadSync }) => unknown;
const registerHooks = (nodeModule as { registerHooks?: RegisterHooks }).registerHooks;

if (typeof registerHooks === 'function') {
  registerHooks({ load: loadSync });
} else {
  // hooks.js next to the built file, hooks.ts in the workspace's sources.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  nodeModule.register(new URL(`./hooks${ext}`, import.meta.url));
}
