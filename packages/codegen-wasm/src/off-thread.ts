/**
 * @file Compiling without Binaryen in this thread. Binaryen's module has a top-level await, so it
 * cannot be loaded synchronously, yet a traced call compiles synchronously. Under Node (built
 * package), a worker thread loads Binaryen on the first cache miss and compiles there, while
 * this thread blocks on Atomics.wait and takes the reply with receiveMessageOnPort. Importing
 * Kiln therefore never loads Binaryen, and a process whose traces all hit the persistent cache
 * never loads it at all. Where it can, the worker compiles in a child process of its own
 * (compile-process.ts), so even a cold process never holds Binaryen's ~80 MB. The worker (and
 * with it the child) ends after a few idle seconds.
 */
import { KilnArgumentError, KilnDTypeError, KilnError, KilnShapeError, type SourceLocation } from '@kiln-jit/core';
import type { Graph, MemoryPlan, Param } from '@kiln-jit/tracer';
import type { CompiledModule } from './emit.ts';
import type { CodegenOptions } from './codegen-options.ts';
import { builtin, nodeProcess } from './node-builtins.ts';
import { KilnMemoryLimitError } from './runtime/memory.ts';

type WorkerThreads = typeof import('node:worker_threads');

/** What the worker answers: the module (and whether the compile process made it), or the error it met, as data. */
export type WorkerReply =
  | { compiled: CompiledModule; where?: 'process' }
  | { error: { name: string; detail: string; location: SourceLocation | null; stack: string } };

/**
 * A request: the graph without tensor data (lowering needs types only), its memory plan, and the
 * options this thread chose (the worker's environment is a copy taken when it started).
 */
export interface WorkerRequest {
  graph: Graph;
  plan: MemoryPlan;
  options: CodegenOptions;
}

const IDLE_MS = 3000;
/** A compile of the largest graphs takes seconds; a worker silent this long is broken. */
const REPLY_TIMEOUT_MS = 180_000;

const workerFile = import.meta.url.endsWith('.ts') ? './compile-worker.ts' : './compile-worker.js';

/**
 * The compile process's file, where the worker can start one: the built package (a plain `node`
 * child cannot load Kiln's TypeScript sources), with child_process, unless `KILN_COMPILE_PROCESS=0`.
 */
function compileProcessFile(): string | null {
  if (workerFile.endsWith('.ts') || nodeProcess()?.env.KILN_COMPILE_PROCESS === '0') return null;
  if (!builtin<typeof import('node:child_process')>('node:child_process')?.fork) return null;
  const url = builtin<typeof import('node:url')>('node:url');
  return url ? url.fileURLToPath(new URL('./compile-process.js', import.meta.url)) : null;
}

/**
 * Whether compiles can run off-thread here: Node with worker threads, running the built package
 * (a worker cannot load Kiln's TypeScript sources), unless `KILN_COMPILE_THREAD=0`.
 */
export function offThreadCompileAvailable(): boolean {
  const proc = nodeProcess();
  if (!proc || proc.env.KILN_COMPILE_THREAD === '0') return false;
  if (workerFile.endsWith('.ts') && proc.env.KILN_COMPILE_THREAD !== '1') return false;
  return builtin<WorkerThreads>('node:worker_threads')?.receiveMessageOnPort !== undefined;
}

interface CompileWorker {
  worker: import('node:worker_threads').Worker;
  port: import('node:worker_threads').MessagePort;
  signal: Int32Array;
  idle: ReturnType<typeof setTimeout> | null;
}

let current: CompileWorker | null = null;
/** Off-thread compiles in this process, and how many of them the compile process made. */
export const offThreadCounters = { compiles: 0, workersStarted: 0, inCompileProcess: 0 };

function startWorker(threads: WorkerThreads): CompileWorker {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new threads.MessageChannel();
  const worker = new threads.Worker(new URL(workerFile, import.meta.url), {
    workerData: { port: port2, signal, processFile: compileProcessFile() },
    transferList: [port2],
    // The user's loader hooks (AutoGraph's, say) have nothing to do in the compiler.
    execArgv: [],
    stdout: false,
    stderr: false,
  });
  worker.unref();
  offThreadCounters.workersStarted++;
  return { worker, port: port1, signal, idle: null };
}

/** Compiles `graph` (planned as `plan`) in the worker; blocks until it answers. */
export function compileOffThread(graph: Graph, plan: MemoryPlan, options: CodegenOptions): CompiledModule {
  const threads = builtin<WorkerThreads>('node:worker_threads')!;
  const w = (current ??= startWorker(threads));
  if (w.idle) clearTimeout(w.idle);
  const before = Atomics.load(w.signal, 0);
  w.port.postMessage(requestFor(graph, plan, options));
  const waited = Atomics.wait(w.signal, 0, before, REPLY_TIMEOUT_MS);
  const reply = threads.receiveMessageOnPort(w.port)?.message as WorkerReply | undefined;
  w.idle = setTimeout(() => {
    if (current === w) current = null;
    void w.worker.terminate();
  }, IDLE_MS);
  w.idle.unref();
  if (!reply) {
    if (current === w) current = null;
    void w.worker.terminate();
    throw new KilnError(
      `wasm backend: the compile worker for @${graph.name} ${waited === 'timed-out' ? 'did not answer' : 'sent nothing'}; ` +
        'KILN_COMPILE_THREAD=0 compiles in this thread instead',
      null,
    );
  }
  if ('error' in reply) throw rebuildError(reply.error, graph.name);
  offThreadCounters.compiles++;
  if (reply.where === 'process') offThreadCounters.inCompileProcess++;
  return reply.compiled;
}

/**
 * The graph as structured-clone data: params without their tensors (captured constants are
 * written by this thread; the worker needs only their types), the plan's variable set mapped to
 * the same param copies. Values are shared, so the plan's maps still key the clone's values.
 */
function requestFor(graph: Graph, plan: MemoryPlan, options: CodegenOptions): WorkerRequest {
  const params = new Map<Param, Param>();
  const param = (p: Param): Param => {
    if (!params.has(p)) params.set(p, { value: p.value, name: p.name, kind: p.kind });
    return params.get(p)!;
  };
  const strip = (g: Graph): Graph => ({
    name: g.name,
    params: g.params.map(param),
    nodes: g.nodes.map((n) => ({
      ...n,
      body: n.body ? strip(n.body) : null,
      ...(n.regions ? { regions: n.regions.map(strip) } : {}),
    })),
    results: g.results,
    updates: g.updates.map((u) => ({ ...u, target: param(u.target) })),
    annotations: {},
  });
  const stripped = strip(graph);
  return {
    graph: stripped,
    plan: { ...plan, variablesInPlace: new Set([...plan.variablesInPlace].map(param)) },
    options,
  };
}

const ERRORS: Record<string, new (detail: string, loc: SourceLocation | null) => KilnError> = {
  KilnError,
  KilnArgumentError,
  KilnShapeError,
  KilnDTypeError,
  KilnMemoryLimitError,
};

function rebuildError(
  e: { name: string; detail: string; location: SourceLocation | null; stack: string },
  name: string,
) {
  const Kind = ERRORS[e.name];
  if (Kind) return new Kind(e.detail, e.location);
  return new KilnError(`wasm backend: compiling @${name} failed in the compile worker: ${e.detail}\n${e.stack}`, null);
}
