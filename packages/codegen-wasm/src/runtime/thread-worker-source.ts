/**
 * @file The program each kernel worker runs, as source text: a worker started from a string
 * needs no file, so the same code runs from Kiln's TypeScript sources (tests, tsx), from the
 * built package and from a bundle. It loads nothing of Kiln: it instantiates the modules it is
 * sent against the shared memory and runs `entry_mt` for each call it is woken for.
 *
 * The control block (an Int32Array over a SharedArrayBuffer, layout in thread-pool.ts) says
 * which module, how many threads, each thread's scratch, and the entry's addresses. A worker
 * spins briefly on the call counter before sleeping, so back-to-back calls do not pay a wake-up,
 * and ends after a while with no calls.
 */
import { CONTROL } from './thread-control.ts';

export const THREAD_WORKER_SOURCE = `
'use strict';
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { control, memory, port, index, firstCall } = workerData;
const C = ${JSON.stringify(CONTROL)};
const instances = new Map();
const stub = () => 0;

function take(message) {
  if (message.drop !== undefined) return void instances.delete(message.drop);
  const imports = { kiln: { memory } };
  // Kernels split across threads call no JavaScript; thread 0 runs every kernel that does.
  for (const i of WebAssembly.Module.imports(message.module)) if (i.kind === 'function') imports.kiln[i.name] = stub;
  instances.set(message.id, new WebAssembly.Instance(message.module, imports).exports.entry_mt);
}

function entryOf(id) {
  for (;;) {
    const entry = instances.get(id);
    if (entry) return entry;
    const next = receiveMessageOnPort(port);
    if (next) take(next.message);
  }
}

function fail(error, barrier) {
  const words = new Int32Array(memory.buffer, barrier, 3);
  Atomics.store(words, 2, 1);
  Atomics.add(words, 1, 1);
  Atomics.notify(words, 1);
  port.postMessage({ error: String(error && error.stack || error) });
}

// Started for call firstCall + 1, which may have been announced before this thread ran.
let seen = firstCall;
const state = C.state + index;
for (;;) {
  for (let spins = 0; Atomics.load(control, C.call) === seen; spins++) {
    if (spins < ${1 << 14}) continue;
    if (Atomics.wait(control, C.call, seen, C.idleMs) !== 'timed-out') continue;
    // Idle: end, unless the caller claimed this worker for a call meanwhile.
    if (Atomics.compareExchange(control, state, C.IDLE, C.GONE) === C.IDLE) process.exit(0);
  }
  seen = Atomics.load(control, C.call);
  if (control[C.command] === C.exit) break;
  const threads = control[C.threads];
  if (index < threads) {
    const entry = entryOf(control[C.module]);
    const barrier = control[C.barrier];
    const args = Array.from(control.subarray(C.args, C.args + control[C.argCount]));
    try {
      entry(index, threads, control[C.scratch + index], barrier, ...args);
    } catch (e) {
      // An abort started by another thread traps here too; only a first failure reports.
      if (Atomics.load(new Int32Array(memory.buffer, barrier, 3), 2) === 0) fail(e, barrier);
    }
  }
  Atomics.store(control, state, C.IDLE);
  Atomics.store(control, C.done + index, seen);
  Atomics.notify(control, C.done + index);
}
`;
