/**
 * @file The kernel workers (worker_threads in Node, Web Workers in browsers: worker-hosts.ts),
 * started by an executable's warm-up calls (compile.ts) or by the first call that splits work.
 * A worker takes ~20-30 ms to boot; calls made meanwhile run on the calling thread (run() says
 * so) rather than wait for it, unless the caller asks to wait (KILN_WARM_CALLS=0).
 * A call with split kernels sets the control block, bumps the call counter and wakes the
 * workers with one notify: no message per call or per kernel. Each worker runs the module's
 * `entry_mt` as its own thread index while the caller runs it as thread 0; the barriers inside
 * keep them in step, and the caller returns once the last barrier is passed. Workers are unref'd,
 * so they never keep a process alive. A browser's main thread may not sleep, so there it spins.
 */
import { KilnError } from '@kiln-jit/core';
import {
  BARRIER_ABORT,
  BARRIER_ARRIVED,
  BARRIER_BYTES,
  BARRIER_GENERATION,
  BARRIER_SPIN_ONLY,
} from '../lower/barrier.ts';
import type { WasmMemory } from './memory.ts';
import { CONTROL, CONTROL_WORDS, MAX_ENTRY_ADDRESSES } from './thread-control.ts';
import { workerHost, type KernelWorker as HostedWorker, type WorkerHost } from './worker-hosts.ts';

interface KernelWorker {
  hosted: HostedWorker;
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
  /** Calls that ran on more than one thread. */
  threadedCalls = 0;

  constructor(
    private readonly memory: WasmMemory,
    private readonly host: WorkerHost,
  ) {
    this.barrier = memory.alloc(BARRIER_BYTES, 'the thread barrier');
    // The block may be reused memory: the barrier starts with no arrivals and no abort.
    const words = new Int32Array(memory.memory.buffer, this.barrier, BARRIER_BYTES / 4);
    words.fill(0);
    if (!host.mayWait) words[BARRIER_SPIN_ONLY / 4] = 1;
  }

  /** An id for a module whose entry_mt the workers may run. */
  register(): number {
    return this.nextId++;
  }

  /** Forgets a module (its executable was disposed). */
  drop(id: number): void {
    for (const w of this.workers) {
      if (w?.modules.delete(id)) w.hosted.post({ drop: id });
    }
  }

  /**
   * Runs module `id`'s entry_mt on `threads` threads, this one included; returns when all are
   * done. Returns false, having run nothing, while a worker is still starting, so the caller runs
   * that call on one thread. With `waitForStart`, a Node worker this call starts is waited for
   * instead (a browser's main thread cannot wait).
   */
  run(
    id: number,
    module: WebAssembly.Module,
    threads: number,
    scratchBytes: number,
    addresses: number[],
    entry: ParallelEntry,
    waitForStart = false,
  ): boolean {
    if (addresses.length > MAX_ENTRY_ADDRESSES) {
      throw new KilnError(
        `wasm backend: a traced call with ${addresses.length} tensors is more than ${MAX_ENTRY_ADDRESSES}`,
        null,
      );
    }
    const c = this.control;
    const claimed: number[] = [];
    let starting = false;
    for (let t = 1; t < threads; t++) {
      // Claim the worker for this call (one still finishing the last call is claimed already);
      // one that ended while idle is started again.
      const was = this.workers[t] ? Atomics.compareExchange(c, CONTROL.state + t, CONTROL.IDLE, CONTROL.CLAIMED) : null;
      if (was === CONTROL.IDLE) claimed.push(t);
      if (was === CONTROL.GONE) this.workers[t] = null;
      const w = this.withModule(t, id, module, waitForStart);
      if (Atomics.load(c, CONTROL.state + t) === CONTROL.STARTING) starting = true;
      if (w.scratch.bytes < scratchBytes) {
        if (w.scratch.bytes) this.memory.release(w.scratch.offset, w.scratch.bytes);
        w.scratch = { offset: this.memory.alloc(scratchBytes, 'thread scratch'), bytes: scratchBytes };
      }
      c[CONTROL.scratch + t] = w.scratch.offset;
    }
    if (starting) {
      for (const t of claimed) Atomics.store(c, CONTROL.state + t, CONTROL.IDLE);
      return false;
    }
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
    this.threadedCalls++;
    return true;
  }

  /**
   * Starts the workers a later call of module `id` on `threads` threads will use, and sends them
   * the module, without waiting for them: they boot while the caller runs the module's first calls
   * on one thread (compile.ts), and calls before they are up run on one thread too.
   */
  prestart(id: number, module: WebAssembly.Module, threads: number): void {
    for (let t = 1; t < threads; t++) {
      if (this.workers[t] && Atomics.load(this.control, CONTROL.state + t) === CONTROL.GONE) this.workers[t] = null;
      this.withModule(t, id, module, false);
    }
  }

  /** Worker `t` (started if there is none), sent module `id` if it has not been yet. */
  private withModule(t: number, id: number, module: WebAssembly.Module, waitForStart: boolean): KernelWorker {
    const w = (this.workers[t] ??= this.start(t, waitForStart));
    if (!w.modules.has(id)) {
      w.hosted.post({ id, module });
      w.modules.add(id);
    }
    return w;
  }

  private start(index: number, waitForStart: boolean): KernelWorker {
    // A worker says when it is running (STARTING -> IDLE); one started claimed (Node only) is
    // waited for by the call that started it.
    const state = waitForStart && this.host.mayWait ? CONTROL.CLAIMED : CONTROL.STARTING;
    Atomics.store(this.control, CONTROL.state + index, state);
    const firstCall = Atomics.load(this.control, CONTROL.call);
    const hosted = this.host.start({ control: this.control, memory: this.memory.memory, index, firstCall });
    this.started++;
    return { hosted, modules: new Set(), scratch: { offset: 0, bytes: 0 } };
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
        if (this.host.mayWait) Atomics.wait(this.control, slot, seen, 100);
      }
      const error = this.workers[t]!.hosted.takeError();
      if (error && !reported) reported = new KilnError(`wasm backend: a kernel thread failed: ${error}`, null);
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

/** Calls that ran on more than one thread in this process. */
export function threadedCalls(): number {
  return pool?.threadedCalls ?? 0;
}

let noticed = false;

/** Says once, on the console, why calls run on one thread although more were asked for. */
export function noticeOneThread(why: string): void {
  if (noticed) return;
  noticed = true;
  console.info(`Kiln: ${why}, so traced calls run on one thread.`);
}

/** The process's pool, or null where kernel workers cannot run (with a notice saying why). */
export function threadPool(memory: WasmMemory): ThreadPool | null {
  if (pool === undefined) {
    const shared = typeof SharedArrayBuffer === 'function' && memory.memory.buffer instanceof SharedArrayBuffer;
    const host = shared ? workerHost() : 'the memory is not shared';
    pool = typeof host === 'string' ? null : new ThreadPool(memory, host);
    if (typeof host === 'string') noticeOneThread(host);
  }
  return pool;
}
