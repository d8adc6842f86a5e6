/**
 * @file What a compiler off the calling thread does with a request, wherever it runs (the compile
 * worker, or the compile process it starts): loads Binaryen once, then answers each request with
 * the compiled module, or the error it met, as data.
 */
import { KilnError } from '@kiln-jit/core';
import { loadBinaryen } from './binaryen.ts';
import { emitModule } from './emit.ts';
import type { WorkerReply, WorkerRequest } from './off-thread.ts';

export function errorReply(e: unknown): WorkerReply {
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

/** Loads Binaryen; the compiler it returns answers requests (or reports why it could not load). */
export async function startCompiler(): Promise<(request: WorkerRequest) => WorkerReply> {
  let loadFailure: unknown = null;
  try {
    await loadBinaryen();
  } catch (e) {
    loadFailure = e;
  }
  return (request) => {
    if (loadFailure) return errorReply(loadFailure);
    try {
      const { compiled, mod } = emitModule(request.graph, request.plan, request.options);
      mod.dispose();
      return { compiled };
    } catch (e) {
      return errorReply(e);
    }
  };
}
