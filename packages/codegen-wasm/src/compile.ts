/**
 * @file Compiles a planned graph for the wasm backend and runs it. The module comes from the
 * persistent compile cache, from Binaryen in this thread (once `ready()` has loaded it), or from
 * the compile worker (off-thread.ts); either way it is plain data (emit.ts), instantiated once
 * against the shared memory. A call passes the entry its argument blocks (resident tensors,
 * copied in only the first time) and fresh result blocks; results stay in WebAssembly memory
 * until JavaScript reads them (runtime/resident.ts).
 */
import { KilnArgumentError, KilnError, makeDeviceTensor, sizeOf } from '@kiln-jit/core';
import { memoryPlanOf, planMemory, type Executable, type Graph, type MemoryPlan } from '@kiln-jit/tracer';
import { binaryenLoaded, binaryenSync, type BinaryenModule } from './binaryen.ts';
import { cacheKey, loadCached, rejectCached, storeCached } from './compile-cache.ts';
import { knownCompileKey, plannedFromCache } from './planned-graph-cache.ts';
import { emitModule, frameOf, kernelNodes, walkNodes, WARM_ENTRY, type CompiledModule } from './emit.ts';
import { wasmMemoryPolicy } from './memory-policy.ts';
import { compileOffThread, offThreadCompileAvailable } from './off-thread.ts';
import { moduleImports } from './runtime/imports.ts';
import { align, bytesOf, layoutConstants, placeConstants } from './storage.ts';
import { formatBytes, KilnMemoryLimitError, MAX_MEMORY_BYTES, sharedMemory } from './runtime/memory.ts';
import { ResidentVariables } from './runtime/variables.ts';
import { ResidentTensors } from './runtime/resident.ts';
import { codegenOptions, type CodegenOptions } from './codegen-options.ts';
import { noticeOneThread, threadPool, type ParallelEntry } from './runtime/thread-pool.ts';
import { getNumThreads } from './runtime/thread-settings.ts';
import { nodeProcess } from './node-builtins.ts';

let warmUpCount = 0;
/** Calls in this process that ran a warm-up entry. */
export function warmUpCalls(): number {
  return warmUpCount;
}

/**
 * Calls of an executable that use its warm-up entry (emit.ts, WARM_ENTRY): 2, or
 * `KILN_WARM_CALLS` (the thread tests set 0, so that every call they make is split).
 */
function warmCalls(): number {
  const raw = nodeProcess()?.env.KILN_WARM_CALLS;
  return raw !== undefined && raw !== '' && Number.isInteger(Number(raw)) && Number(raw) >= 0 ? Number(raw) : 2;
}

let resident: ResidentVariables | null = null;
function residentVariables(): ResidentVariables {
  return (resident ??= new ResidentVariables(sharedMemory()));
}

let tensors: ResidentTensors | null = null;
/** The process-wide pool of tensors resident in the shared memory. */
export function residentTensors(): ResidentTensors {
  return (tensors ??= new ResidentTensors(sharedMemory()));
}

export interface WasmStats extends Record<string, number> {
  kernels: number;
  wasmBytes: number;
  buildMs: number;
  /** Validation plus optimization passes. */
  optimizeMs: number;
  instantiateMs: number;
  frameBytes: number;
  /** 1 when the module came from the persistent compile cache (Binaryen skipped). */
  fromCache: number;
  /** 1 when the planned graph came from the persistent cache (the passes skipped). */
  plannedFromCache: number;
  /** 1 when Binaryen ran in the compile worker rather than in this thread. */
  offThread: number;
  /** Kernels that threads split (the rest run on the calling thread). */
  splitKernels: number;
}

/** Where a module came from. */
interface Obtained {
  compiled: CompiledModule;
  /** The Binaryen module, when it was built in this thread (its text is the `wat` stage). */
  mod: BinaryenModule | null;
  source: 'cache' | 'binaryen' | 'worker';
  key: string | null;
}

/**
 * Compiles `graph` for the wasm backend. The pipeline's planMemory pass plans with this
 * backend's policy; a graph planned otherwise (or not at all, as with `passes: []`) is planned
 * here with it.
 */
export function compileGraph(graph: Graph): Executable & { stats: WasmStats } {
  const planned =
    memoryPlanOf(graph)?.policy === wasmMemoryPolicy.name
      ? graph
      : planMemory(graph, { memoryPolicy: wasmMemoryPolicy });
  const plan = memoryPlanOf(planned)!;
  const options = codegenOptions();
  const known = knownCompileKey(planned, options);
  const key = known !== undefined ? known : cacheKey(planned, plan, options);
  const cached = key ? loadCached(key, (m) => misfit(planned, plan, m)) : null;
  if (cached) {
    try {
      return instantiate(planned, plan, { compiled: cached, mod: null, source: 'cache', key });
    } catch (e) {
      if (e instanceof KilnError) throw e;
      // A module that does not compile or link here is as good as corrupt.
      rejectCached(key!, `it does not instantiate (${(e as Error).message})`);
    }
  }
  const obtained = compileFresh(planned, plan, key, options);
  if (key) storeCached(key, obtained.compiled);
  return instantiate(planned, plan, obtained);
}

function compileFresh(graph: Graph, plan: MemoryPlan, key: string | null, options: CodegenOptions): Obtained {
  if (!binaryenLoaded() && offThreadCompileAvailable()) {
    return { compiled: compileOffThread(graph, plan, options), mod: null, source: 'worker', key };
  }
  binaryenSync(); // throws the "load binaryen first" error where there is no other way
  const { compiled, mod } = emitModule(graph, plan, options);
  return { compiled, mod, source: 'binaryen', key };
}

/** Why a module's recorded layout does not fit `graph`, or null when it does. */
function misfit(graph: Graph, plan: MemoryPlan, m: CompiledModule): string | null {
  const frame = frameOf(graph, plan, m.scratchBytes).bytes;
  if (frame !== m.frameBytes) return `frame ${m.frameBytes} B, the graph's ${frame} B`;
  const constants = layoutConstants(graph).bytes;
  if (constants !== m.constantBytes) return `constants ${m.constantBytes} B, the graph's ${constants} B`;
  const nodes = walkNodes(graph);
  const badNode = (i: number): boolean => !Number.isInteger(i) || i < 0 || i >= nodes.length;
  if (m.printed.some(badNode) || m.failing.some(badNode)) return 'node positions out of range';
  if (m.printed.some((i) => nodes[i]!.op !== 'print')) return 'a print that is not a print node';
  const kernelOps = kernelNodes(graph, plan).map((n) => n.op);
  if (m.kernelOps.length !== kernelOps.length || m.kernelOps.some((op, i) => op !== kernelOps[i]))
    return "kernels that are not the graph's";
  if (m.splits.length !== kernelOps.length) return 'a split per kernel';
  return null;
}

function instantiate(graph: Graph, plan: MemoryPlan, obtained: Obtained): Executable & { stats: WasmStats } {
  const { compiled, mod } = obtained;
  const frameBytes = frameOf(graph, plan, compiled.scratchBytes).bytes;
  // Argument and result blocks are separate from the frame but are needed during a call too.
  const ownBlocks = [...graph.params.filter((p) => p.kind === 'arg').map((p) => p.value), ...graph.results];
  const callBytes = ownBlocks.reduce((s, v) => s + align(bytesOf(v.type)), frameBytes);
  if (callBytes > MAX_MEMORY_BYTES) {
    mod?.dispose();
    throw new KilnMemoryLimitError(
      `wasm backend: @${graph.name} needs ${formatBytes(callBytes)} per call (arena ${formatBytes(plan.peakBytes)}), more than WebAssembly's 4 GiB memory`,
      null,
    );
  }
  const memory = sharedMemory();
  const nodes = walkNodes(graph);
  const imports = moduleImports(memory, {
    printed: compiled.printed.map((i) => nodes[i]!),
    failing: compiled.failing.map((i) => nodes[i]!),
  });
  const t1 = performance.now();
  let entry: (...addresses: number[]) => void;
  let entryWarm: typeof entry | null = null;
  let entryMt: ParallelEntry | null = null;
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(compiled.wasm);
    const instance = new WebAssembly.Instance(module, { kiln: imports.kiln });
    entry = instance.exports.entry as typeof entry;
    if (typeof entry !== 'function') throw new Error('the module exports no entry function');
    const warm = instance.exports[WARM_ENTRY];
    entryWarm = typeof warm === 'function' ? (warm as typeof entry) : null;
    if (compiled.splits.some((s) => s > 0)) {
      entryMt = instance.exports.entry_mt as ParallelEntry;
      if (typeof entryMt !== 'function') throw new Error('the module splits kernels but exports no entry_mt');
    }
  } catch (e) {
    mod?.dispose();
    throw e;
  }
  const instantiateMs = performance.now() - t1;
  const constants = placeConstants(graph, memory);
  const varParams = graph.params.filter((p) => p.kind === 'var');
  const argBytes = graph.params.filter((p) => p.kind === 'arg').map((p) => bytesOf(p.value.type));
  const resultTypes = graph.results.map((v) => ({ ...v.type, size: sizeOf(v.type.shape), bytes: bytesOf(v.type) }));
  const updatedVarIndices = graph.updates.map((u) => varParams.indexOf(u.target));
  const vars = residentVariables();
  const pool = residentTensors();
  const widest = Math.max(0, ...compiled.splits);
  /** Threads a call uses: no more than the widest split kernel has parts. */
  const threadsNow = (): number => (entryMt ? Math.max(1, Math.min(getNumThreads(), widest)) : 1);
  if (!codegenOptions().threads && getNumThreads() > 1) {
    noticeOneThread('there is no SharedArrayBuffer here (a browser page has one only when cross-origin isolated)');
  }
  let poolId: number | null = null;
  let disposed = false;
  let calls = 0;
  const warmUp = warmCalls();
  const stats: WasmStats = {
    kernels: compiled.kernels,
    wasmBytes: compiled.wasm.byteLength,
    buildMs: obtained.source === 'cache' ? 0 : compiled.buildMs,
    optimizeMs: obtained.source === 'cache' ? 0 : compiled.optimizeMs,
    instantiateMs,
    frameBytes,
    fromCache: obtained.source === 'cache' ? 1 : 0,
    plannedFromCache: plannedFromCache(graph) ? 1 : 0,
    offThread: obtained.source === 'worker' ? 1 : 0,
    splitKernels: compiled.splits.filter((s) => s > 0).length,
  };
  return {
    stats,
    kernels: () =>
      compiled.kernelOps.map((op, i) => ({
        op,
        threads: compiled.splits[i]! > 0 ? Math.min(threadsNow(), compiled.splits[i]!) : 1,
      })),
    run(args, variables) {
      const base = memory.frame(frameBytes);
      const argAddresses = argBytes.map((bytes, i) => pool.addressOf(args[i]!, bytes));
      const varAddresses = variables.map((v) => vars.resident(v));
      const outs = resultTypes.map((t) => pool.allocate(t.dtype, t.size, t.bytes));
      imports.clearFailure();
      try {
        const addresses = [base, constants.base, ...varAddresses, ...argAddresses, ...outs.map((o) => o.offset)];
        const threads = threadsNow();
        const workers = threads > 1 ? threadPool(memory) : null;
        poolId ??= workers?.register() ?? null;
        // The first calls run on this thread, kernels in pieces (emit.ts, WARM_ENTRY), while the
        // workers boot; the optimized code they bring about is shared with every thread. Starting
        // a worker costs this thread ~3-5 ms, so the first call leaves it to the event loop's next
        // turn, or to the second call, whichever comes first: a function called once starts none.
        if (entryWarm && calls++ < warmUp) {
          if (workers && calls === 1) startSoon(() => disposed || workers.prestart(poolId!, module, threads));
          else workers?.prestart(poolId!, module, threads);
          entryWarm(...addresses);
          warmUpCount++;
        } else if (!workers?.run(poolId!, module, threads, compiled.scratchBytes, addresses, entryMt!, warmUp === 0)) {
          entry(...addresses);
        }
      } catch (e) {
        outs.forEach((o) => pool.free(o));
        const f = imports.failure();
        if (f)
          throw new KilnArgumentError(
            `${f.op}: index ${f.index} is out of range [0, ${f.limit}) in traced function @${graph.name}`,
            f.loc,
          );
        throw e;
      }
      const results = outs.map((o, i) => {
        const t = makeDeviceTensor(resultTypes[i]!.shape, resultTypes[i]!.dtype, o);
        pool.adopt(o, t);
        return t;
      });
      for (const i of updatedVarIndices) vars.updated(variables[i]!);
      pool.enforceBudget();
      return results;
    },
    stage(name) {
      if (name !== 'wat' || disposed) return undefined;
      if (mod) return mod.emitText();
      return binaryenLoaded() ? watOf(compiled.wasm) : undefined;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (poolId !== null) threadPool(memory)?.drop(poolId);
      constants.release();
      mod?.dispose();
    },
  };
}

/** Runs `start` on a later turn of the event loop, without keeping a Node process alive for it. */
function startSoon(start: () => void): void {
  const timer = setTimeout(start, 0) as unknown as { unref?: () => void };
  timer.unref?.();
}

/** The text of a module that was compiled elsewhere (the cache, the worker). */
function watOf(wasm: Uint8Array): string {
  const binaryen = binaryenSync();
  const m = binaryen.readBinary(wasm);
  try {
    return m.emitText();
  } finally {
    m.dispose();
  }
}
