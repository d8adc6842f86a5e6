/**
 * @file Where kernel workers come from: Node's worker_threads, or a browser's Web Workers. The
 * pool (thread-pool.ts) sees only a KernelWorker: send it a message, take back an error it
 * reported, let it not keep the process alive. Both run the program of thread-worker-source.ts.
 */
import { builtin, nodeProcess } from '../node-builtins.ts';
import { BROWSER_WORKER_SOURCE, NODE_WORKER_SOURCE } from './thread-worker-source.ts';

type WorkerThreads = typeof import('node:worker_threads');

/** What a worker starts with (control block, memory, its thread index, the call it joins first). */
export interface WorkerStart {
  control: Int32Array;
  memory: WebAssembly.Memory;
  index: number;
  firstCall: number;
}

export interface KernelWorker {
  post(message: unknown): void;
  /** An error the worker reported, if one is waiting (Node only: a browser delivers it later). */
  takeError(): string | null;
}

export interface WorkerHost {
  start(data: WorkerStart): KernelWorker;
  /** Whether this thread may block in Atomics.wait (a browser's main thread may not). */
  readonly mayWait: boolean;
}

function nodeHost(threads: WorkerThreads): WorkerHost {
  return {
    mayWait: true,
    start(data) {
      const { port1, port2 } = new threads.MessageChannel();
      const worker = new threads.Worker(NODE_WORKER_SOURCE, {
        eval: true,
        workerData: { ...data, port: port2 },
        transferList: [port2],
        // The user's loader hooks (AutoGraph's, say) have nothing to do here.
        execArgv: [],
        stdout: false,
        stderr: false,
      });
      worker.unref();
      port1.unref();
      return {
        post: (message) => port1.postMessage(message),
        takeError: () =>
          (threads.receiveMessageOnPort(port1)?.message as { error?: string } | undefined)?.error ?? null,
      };
    },
  };
}

interface BrowserScope {
  Worker?: new (url: string) => { postMessage(m: unknown): void; onmessage: ((e: { data: unknown }) => void) | null };
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL?: { createObjectURL(blob: unknown): string };
  Atomics: { waitAsync?: unknown };
}

function browserHost(scope: BrowserScope): WorkerHost | null {
  const { Worker, Blob, URL: Url } = scope;
  // Workers wait for calls with Atomics.waitAsync, so their event loop still takes messages.
  if (!Worker || !Blob || !Url || typeof scope.Atomics.waitAsync !== 'function') return null;
  const url = Url.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
  return {
    mayWait: false,
    start(data) {
      const worker = new Worker(url);
      const errors: string[] = [];
      worker.onmessage = (e) => void errors.push(String((e.data as { error?: string }).error));
      worker.postMessage({ init: data });
      return { post: (message) => worker.postMessage(message), takeError: () => errors.shift() ?? null };
    },
  };
}

/** This runtime's host, or null with the reason there is none. */
export function workerHost(): WorkerHost | string {
  const threads = builtin<WorkerThreads>('node:worker_threads');
  if (threads?.receiveMessageOnPort) return nodeHost(threads);
  if (nodeProcess()) return 'kernel threads need worker_threads with receiveMessageOnPort (Node 20.16+)';
  return browserHost(globalThis as unknown as BrowserScope) ?? 'kernel threads need Web Workers and Atomics.waitAsync';
}
