/**
 * @file The kernel workers (Node worker_threads; started on the first call that splits work).
 * A call with split kernels sets the control block, bumps the call counter and wakes the
 * workers with one notify: no message per call or per kernel. Each worker runs the module's
 * `entry_mt` as its own thread index while the caller runs it as thread 0; the barriers inside
 * keep them in step, and the caller returns once the last barrier is passed. Workers are unref'd,
 * so they never keep a process alive.
 */
import { KilnError } from '@kiln-jit/core';
import type { Worker as NodeWorker, MessagePort } from 'node:worker_threads';
import { BARRIER_ABORT, BARRIER_ARRIVED, BARRIER_BYTES, BARRIER_GENERATION } from '../lower/barrier.ts';
import { builtin } from '../node-builtins.ts';
import type { WasmMemory } from './memory.ts';
import { CONTROL, CONTROL_WORDS, MAX_ENTRY_ADDRESSES } from './thread-control.ts';
import { THREAD_WORKER_SOURCE } from './thread-worker-source.ts';

type WorkerThreads = typeof import('node:worker_threads');

interface KernelWorker {
  worker: NodeWorker;
  port: MessagePort;
  /** Modules this worker has been sent, by id. */
  modules: Set<number>;
  scratch: { offset: number; bytes: number };
}

/** entry_mt(thread, threads, scratch, barrier, ...addresses). */
export type ParallelEntry = (...args: number[]) => void;

export class ThreadPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
  /** Index 0 is the calling thread, which has no worker. */
  private readonly workers: (KernelWorker | null)[] = [null];
  private readonly barrier: number;
  private nextId = 1;
  /** Workers started in this process (for tests). */
  started = 0;

  constructor(
    private readonly memory: WasmMemory,
    private readonly threads: WorkerThreads,
  ) {
    this.barrier = memory.alloc(BARRIER_BYTES, 'the thread barrier');
    // The block may be reused memory: the barrier starts with no arrivals and no abort.
    new Int32Array(memory.memory.buffer, this.barrier, BARRIER_BYTES / 4).fill(0);
  }

  /** An id for a module whose entry_mt the workers may run. */
  register(): number {
    return this.nextId++;
  }

  /** Forgets a module (its executable was disposed). */
  drop(id: number): void {
    for (const w of this.workers) {
      if (w?.modules.delete(id)) w.port.postMessage({ drop: id });
    }
  }

  /** Runs module `id`'s entry_mt on `threads` threads, this one included; returns when all are done. */
  run(
    id: number,
    module: WebAssembly.Module,
    threads: number,
    scratchBytes: number,
    addresses: number[],
    entry: ParallelEntry,
  ): void {
    if (addresses.length > MAX_ENTRY_ADDRESSES) {
      throw new KilnError(
        `wasm backend: a traced call with ${addresses.length} tensors is more than ${MAX_ENTRY_ADDRESSES}`,
        null,
      );
    }
    const c = this.control;
    for (let t = 1; t < threads; t++) {
      // Claim the worker for this call (one still finishing the last call is claimed already);
      // one that ended while idle is started again.
      if (
        this.workers[t] &&
        Atomics.compareExchange(c, CONTROL.state + t, CONTROL.IDLE, CONTROL.CLAIMED) === CONTROL.GONE
      ) {
        this.workers[t] = null;
      }
      const w = (this.workers[t] ??= this.start(t));
      if (!w.modules.has(id)) {
        w.port.postMessage({ id, module });
        w.modules.add(id);
      }
      if (w.scratch.bytes < scratchBytes) {
        if (w.scratch.bytes) this.memory.release(w.scratch.offset, w.scratch.bytes);
        w.scratch = { offset: this.memory.alloc(scratchBytes, 'thread scratch'), bytes: scratchBytes };
      }
      c[CONTROL.scratch + t] = w.scratch.offset;
    }
    c[CONTROL.command] = 0;
    c[CONTROL.threads] = threads;
    c[CONTROL.module] = id;
    c[CONTROL.barrier] = this.barrier;
    c[CONTROL.argCount] = addresses.length;
    c.set(addresses, CONTROL.args);
    const call = Atomics.add(c, CONTROL.call, 1) + 1;
    Atomics.notify(c, CONTROL.call);
    try {
      entry(0, threads, 0, this.barrier, ...addresses);
    } catch (e) {
      const workerError = this.abort(call, threads);
      throw workerError ?? e;
    }
  }

  /** Ends the workers (they end with the process anyway). */
  close(): void {
    this.control[CONTROL.command] = CONTROL.exit;
    Atomics.add(this.control, CONTROL.call, 1);
    Atomics.notify(this.control, CONTROL.call);
    this.workers.splice(1);
  }

  private start(index: number): KernelWorker {
    const { port1, port2 } = new this.threads.MessageChannel();
    Atomics.store(this.control, CONTROL.state + index, CONTROL.CLAIMED);
    const worker = new this.threads.Worker(THREAD_WORKER_SOURCE, {
      eval: true,
      workerData: {
        control: this.control,
        memory: this.memory.memory,
        port: port2,
        index,
        firstCall: Atomics.load(this.control, CONTROL.call),
      },
      transferList: [port2],
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    worker.unref();
    port1.unref();
    this.started++;
    return { worker, port: port1, modules: new Set(), scratch: { offset: 0, bytes: 0 } };
  }

  /**
   * After thread 0 failed, or saw a worker fail: makes every thread leave its barrier (they
   * trap), waits until each worker has finished call `call`, and resets the barrier. Returns the
   * error a worker reported, if one did.
   */
  private abort(call: number, threads: number): Error | null {
    const words = new Int32Array(this.memory.memory.buffer, this.barrier, 3);
    Atomics.store(words, BARRIER_ABORT / 4, 1);
    Atomics.add(words, BARRIER_GENERATION / 4, 1);
    Atomics.notify(words, BARRIER_GENERATION / 4);
    let reported: Error | null = null;
    for (let t = 1; t < threads; t++) {
      const slot = CONTROL.done + t;
      for (let seen = Atomics.load(this.control, slot); seen !== call; seen = Atomics.load(this.control, slot)) {
        Atomics.wait(this.control, slot, seen, 100);
      }
      const message = this.threads.receiveMessageOnPort(this.workers[t]!.port)?.message as
        { error?: string } | undefined;
      if (message?.error && !reported)
        reported = new KilnError(`wasm backend: a kernel thread failed: ${message.error}`, null);
    }
    Atomics.store(words, BARRIER_ARRIVED / 4, 0);
    Atomics.store(words, BARRIER_ABORT / 4, 0);
    return reported;
  }
}

let pool: ThreadPool | null | undefined;

/** Kernel workers started in this process (each restart after an idle exit counts). */
export function threadWorkersStarted(): number {
  return pool?.started ?? 0;
}

let noticed = false;

/** Says once, on the console, why calls run on one thread although more were asked for. */
export function noticeOneThread(why: string): void {
  if (noticed) return;
  noticed = true;
  console.info(`Kiln: ${why}, so traced calls run on one thread.`);
}

/** The process's pool, or null where there are no worker threads (browsers, for now). */
export function threadPool(memory: WasmMemory): ThreadPool | null {
  if (pool === undefined) {
    const threads = builtin<WorkerThreads>('node:worker_threads');
    pool =
      threads?.receiveMessageOnPort && memory.memory.buffer instanceof SharedArrayBuffer
        ? new ThreadPool(memory, threads)
        : null;
    if (!pool) noticeOneThread('kernel threads need Node worker_threads, which this runtime lacks');
  }
  return pool;
}
