/**
 * @file The compile worker (off-thread.ts starts it). Where it can, it starts the compile process
 * (compile-process.ts) and passes requests and replies between it and the blocked caller, so that
 * Binaryen's ~80 MB stay out of the user's process. Without one (KILN_COMPILE_PROCESS=0, Kiln's
 * TypeScript sources, a child that cannot start or has died) it loads Binaryen and compiles here.
 * Each reply bumps the shared signal the caller waits on.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import type { ChildProcess } from 'node:child_process';
import type { WorkerReply, WorkerRequest } from './off-thread.ts';

const { port, signal, processFile } = workerData as {
  port: MessagePort;
  signal: Int32Array;
  /** The compile process's module, or null to compile in this thread. */
  processFile: string | null;
};

function answer(reply: WorkerReply): void {
  port.postMessage(reply, 'compiled' in reply ? [reply.compiled.wasm.buffer] : []);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

// Kiln's compiler is imported only to compile here: relaying, this worker loads no Kiln module.
let inThread: Promise<(request: WorkerRequest) => WorkerReply> | null = null;
const compileHere = (request: WorkerRequest): void => {
  inThread ??= import('./compile-service.ts').then((service) => service.startCompiler());
  void inThread.then((compile) => answer(compile(request)));
};

const processError = (detail: string): WorkerReply => ({
  error: { name: 'Error', detail, location: null, stack: '' },
});

/** The compile process once it said it is ready; null before, and for good once it failed. */
let child: ChildProcess | null = null;
/** The request in flight (the caller blocks on each, so there is at most one). */
let pending: WorkerRequest | null = null;
let childFailed = processFile === null;

if (processFile) {
  const { fork } = await import('node:child_process');
  const starting = fork(processFile, [], {
    serialization: 'advanced',
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const fail = (): void => {
    const wasReady = child !== null;
    child = null;
    childFailed = true;
    const request = pending;
    pending = null;
    if (!request) return;
    // Died mid-compile: that request may be what killed it, so it fails; one that never reached
    // a child is compiled here.
    if (wasReady) answer(processError('the compile process exited while compiling'));
    else compileHere(request);
  };
  starting.on('error', fail);
  starting.on('exit', fail);
  starting.on('message', (reply) => {
    if (reply === 'ready') {
      child = starting;
      if (pending) child.send(pending);
      return;
    }
    pending = null;
    const r = reply as WorkerReply;
    answer('compiled' in r ? { ...r, where: 'process' } : r);
  });
}

port.on('message', (request: WorkerRequest) => {
  if (childFailed) return compileHere(request);
  pending = request;
  child?.send(request);
});
