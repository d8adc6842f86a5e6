/**
 * @file The compile worker (off-thread.ts starts it): loads Binaryen, then answers each request
 * with the compiled module, or the error it met, and bumps the shared signal the caller waits on.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { KilnError } from '@kiln-jit/core';
import { loadBinaryen } from './binaryen.ts';
import { emitModule } from './emit.ts';
import type { WorkerReply, WorkerRequest } from './off-thread.ts';

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };

function answer(reply: WorkerReply): void {
  port.postMessage(reply, 'compiled' in reply ? [reply.compiled.wasm.buffer] : []);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

function errorReply(e: unknown): WorkerReply {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    error: {
      name: err instanceof KilnError ? err.name : 'Error',
      detail: err instanceof KilnError ? err.detail : err.message,
      location: err instanceof KilnError ? err.location : null,
      stack: err.stack ?? '',
    },
  };
}

let loadFailure: unknown = null;
try {
  await loadBinaryen();
} catch (e) {
  loadFailure = e;
}

port.on('message', (request: WorkerRequest) => {
  if (loadFailure) return answer(errorReply(loadFailure));
  try {
    const { compiled, mod } = emitModule(request.graph, request.plan, request.options);
    mod.dispose();
    answer({ compiled });
  } catch (e) {
    answer(errorReply(e));
  }
});
