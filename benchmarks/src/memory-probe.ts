/**
 * @file The child process memory.ts starts: sets one workload up in each given mode in turn and
 * prints, as one JSON line, each mode's peak growth of V8 heap used + external memory over the
 * level before its setup (after a full GC), sampled after setup and after each call.
 * Usage: memory-probe.ts WORKLOAD MODE[,MODE...] CALLS
 */
import { collectGarbage } from './gc.ts';
import { createRunner } from './runners.ts';
import { parseMode, selectWorkloads, type Mode } from './workloads/index.ts';

/** External memory counts ArrayBuffers and WebAssembly memories (their growth included). */
function memoryLevel(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

const [id, modeList, callsArg] = process.argv.slice(2);
const [workload] = selectWorkloads([id ?? '']);
const modes = (modeList ?? '')
  .split(',')
  .map(parseMode)
  .filter((m): m is Mode => m !== null);
const calls = Number(callsArg ?? 2);
const peaks: Partial<Record<Mode, number>> = {};
/** A full GC, twice around a turn of the event loop: freed ArrayBuffers leave `external` late. */
async function settle(): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 20));
  collectGarbage();
}

for (const mode of modes) {
  await settle();
  const before = memoryLevel();
  const runner = await createRunner(workload!, mode);
  let peak = memoryLevel();
  for (let i = 0; i < calls; i++) {
    runner.call();
    peak = Math.max(peak, memoryLevel());
  }
  runner.dispose();
  peaks[mode] = Math.max(0, peak - before);
}
process.stdout.write(`${JSON.stringify(peaks)}\n`);
