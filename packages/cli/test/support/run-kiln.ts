/**
 * @file Runs the real `kiln` bin as a child process from the repository root, a few at a time
 * (each run starts Node, tsx and binaryen, ~1 s), so tests can start many runs up front.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const BIN = join(ROOT, 'packages/cli/bin/kiln.mjs');
export const FIXTURES = 'packages/cli/test/fixtures';

export interface KilnRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

const MAX_RUNNING = 2;
let running = 0;
const waiting: (() => void)[] = [];

async function slot<T>(body: () => Promise<T>): Promise<T> {
  if (running >= MAX_RUNNING) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await body();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

function spawnKiln(args: readonly string[], env: NodeJS.ProcessEnv): Promise<KilnRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=kiln-source', BIN, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
  });
}

/** Runs `kiln ...args` from the repository root; `env` entries override (undefined removes). */
export function kiln(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<KilnRun> {
  const merged: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
    NODE_OPTIONS: undefined,
    ...env,
  };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  return slot(() => spawnKiln(args, merged));
}

/** The 1-based line of the first line of `source` containing `text`. */
export function lineOf(source: string, text: string): number {
  const index = source.split('\n').findIndex((l) => l.includes(text));
  if (index < 0) throw new Error(`no line contains ${text}`);
  return index + 1;
}
