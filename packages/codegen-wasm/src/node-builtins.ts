/**
 * @file Node's built-in modules, reached synchronously through `process.getBuiltinModule`
 * (Node 20.16+), so compiling stays synchronous and bundlers for the browser see no Node import.
 * Everything here returns null where there is no such module (a browser, an older Node).
 */

interface NodeProcess {
  readonly pid: number;
  readonly env: Record<string, string | undefined>;
  readonly platform: string;
  getBuiltinModule?(id: string): unknown;
}

/** The Node `process`, when this is Node with `getBuiltinModule`. */
export function nodeProcess(): NodeProcess | null {
  const proc = (globalThis as { process?: NodeProcess }).process;
  return proc?.getBuiltinModule ? proc : null;
}

/** A Node built-in module (`node:fs`, ...), or null. */
export function builtin<T>(id: string): T | null {
  return (nodeProcess()?.getBuiltinModule?.(id) as T | undefined) ?? null;
}
