/**
 * @file Peak memory per workload and mode, measured in a child process per workload: in one
 * long-lived process the numbers would depend on what ran before (WebAssembly memories only
 * grow; garbage from earlier workloads is collected at unpredictable times). In the child each
 * mode is set up after a full GC and sampled after setup and after every call; Kiln's Wasm
 * memory, tfjs-wasm's heap and jax-js's Wasm memory are each used by one mode only, so their
 * growth is that mode's (a Wasm row on more threads gets a child of its own: see memoryGroups).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Mode } from './workloads/index.ts';

const runTs = fileURLToPath(new URL('../../scripts/run-ts.mjs', import.meta.url));
const probe = fileURLToPath(new URL('./memory-probe.ts', import.meta.url));

/** Peak memory growth in bytes of `workload` in each of `modes`, over `calls` calls. */
export async function memoryProfile(
  workload: string,
  modes: readonly Mode[],
  calls: number,
): Promise<Partial<Record<Mode, number>>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [runTs, probe, workload, modes.join(','), String(calls)],
    {
      maxBuffer: 1 << 20,
      timeout: 300_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Partial<Record<Mode, number>>;
}
