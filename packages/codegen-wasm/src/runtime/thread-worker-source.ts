/**
 * @file The program each kernel worker runs, as source text: a worker started from a string
 * needs no file, so the same code runs from Kiln's TypeScript sources (tests, tsx), from the
 * built package and from a bundle. It loads nothing of Kiln: it instantiates the modules it is
 * sent against the shared memory and runs `entry_mt` for each call it is woken for.
 *
 * The control block (an Int32Array over a SharedArrayBuffer, layout in thread-control.ts) says
 * which module, how many threads, each thread's scratch, and the entry's addresses. Under Node a
 * worker spins briefly on the call counter, then sleeps in Atomics.wait and takes modules with
 * receiveMessageOnPort; in a browser it waits with Atomics.waitAsync, so that its event loop
 * still receives modules. Either way it ends after a while with no calls.
 */
import { CONTROL } from './thread-control.ts';

/** Shared by both hosts: `take` a module message, `runCall` (false: its module has not come yet). */
const CORE = `
'use strict';
const C = ${JSON.stringify(CONTROL)};
const instances = new Map();
const stub = () => 0;
let control, memory, index, seen, report;

function take(message) {
  if (message.drop !== undefined) return void instances.delete(message.drop);
  const imports = { kiln: { memory } };
  // Kernels split across threads call no JavaScript; thread 0 runs every kernel that does.
  for (const i of WebAssembly.Module.imports(message.module)) if (i.kind === 'function') imports.kiln[i.name] = stub;
  instances.set(message.id, new WebAssembly.Instance(message.module, imports).exports.entry_mt);
}

function fail(error, barrier) {
  const words = new Int32Array(memory.buffer, barrier, 3);
  Atomics.store(words, 2, 1);
  Atomics.add(words, 1, 1);
  Atomics.notify(words, 1);
  report(String((error && error.stack) || error));
}

function runCall(call) {
  const threads = control[C.threads];
  if (index < threads) {
    const entry = instances.get(control[C.module]);
    if (!entry) return false;
    const barrier = control[C.barrier];
    const args = Array.from(control.subarray(C.args, C.args + control[C.argCount]));
    try {
      entry(index, threads, control[C.scratch + index], barrier, ...args);
    } catch (e) {
      // An abort started by another thread traps here too; only a first failure reports.
      if (Atomics.load(new Int32Array(memory.buffer, barrier, 3), 2) === 0) fail(e, barrier);
    }
  }
  seen = call;
  Atomics.store(control, C.state + index, C.IDLE);
  Atomics.store(control, C.done + index, call);
  Atomics.notify(control, C.done + index);
  return true;
}

/** Whether an idle worker may end: the caller has not claimed it for a call meanwhile. */
const mayEnd = () => Atomics.compareExchange(control, C.state + index, C.IDLE, C.GONE) === C.IDLE;
`;

export const NODE_WORKER_SOURCE = `${CORE}
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
({ control, memory, index, firstCall: seen } = workerData);
const port = workerData.port;
// Up: calls may use this worker now (one started claimed is already theirs).
Atomics.compareExchange(control, C.state + index, C.STARTING, C.IDLE);
report = (error) => port.postMessage({ error });
for (;;) {
  for (let spins = 0; Atomics.load(control, C.call) === seen; spins++) {
    if (spins < ${1 << 17}) continue;
    if (Atomics.wait(control, C.call, seen, C.idleMs) === 'timed-out' && mayEnd()) process.exit(0);
  }
  const call = Atomics.load(control, C.call);
  // A module is posted before the call that needs it, so it is already in the port.
  while (!runCall(call)) {
    const next = receiveMessageOnPort(port);
    if (next) take(next.message);
  }
}
`;

export const BROWSER_WORKER_SOURCE = `${CORE}
report = (error) => postMessage({ error });
function wait() {
  const r = Atomics.waitAsync(control, C.call, seen, C.idleMs);
  if (r.async) r.value.then(woken);
  else woken(r.value);
}
function woken(result) {
  const call = Atomics.load(control, C.call);
  if (call === seen) {
    if (result === 'timed-out' && mayEnd()) return close();
    return wait();
  }
  // The module's message may still be queued behind this wake-up: let it in, then try again.
  if (!runCall(call)) return void setTimeout(() => woken('ok'), 0);
  wait();
}
onmessage = (e) => {
  const m = e.data;
  if (!m.init) return take(m);
  ({ control, memory, index, firstCall: seen } = m.init);
  Atomics.store(control, C.state + index, C.IDLE);
  wait();
};
`;
