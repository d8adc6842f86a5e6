/**
 * @file Compiles a planned graph into one WebAssembly module: a kernel function per node that
 * computes, and an entry function that calls them in order at the memory plan's static offsets,
 * then writes variable updates. The module is validated and instantiated once. A call passes the
 * entry its argument blocks (resident tensors, copied in only the first time) and fresh result
 * blocks; results stay in WebAssembly memory until JavaScript reads them (runtime/resident.ts).
 */
import { KilnArgumentError, KilnError, makeDeviceTensor, sizeOf } from '@kiln-jit/core';
import {
  CONSTANT_OP,
  memoryPlanOf,
  nodeOutputs,
  planMemory,
  type Executable,
  type Graph,
  type MemoryPlan,
  type Node,
  type Param,
  type Value,
} from '@kiln-jit/tracer';
import { binaryenSync, type Binaryen, type BinaryenModule, type ExpressionRef } from './binaryen.ts';
import { ModuleContext } from './lower/module-context.ts';
import { wasmMemoryPolicy } from './memory-policy.ts';
import { lowerNode } from './lower/lower-node.ts';
import { FunctionBuilder } from './function-builder.ts';
import { moduleImports } from './runtime/imports.ts';
import {
  align,
  bytesOf,
  directResults,
  layoutFrame,
  locator,
  placeConstants,
  planCopies,
  type Copy,
  type FrameLayout,
  type Location,
} from './storage.ts';
import {
  formatBytes,
  KilnMemoryLimitError,
  MAX_MEMORY_BYTES,
  sharedMemory,
  type WasmMemory,
} from './runtime/memory.ts';
import { ResidentVariables } from './runtime/variables.ts';
import { ResidentTensors } from './runtime/resident.ts';

let resident: ResidentVariables | null = null;
function residentVariables(memory: WasmMemory): ResidentVariables {
  return (resident ??= new ResidentVariables(memory));
}

let tensors: ResidentTensors | null = null;
/** The process-wide pool of tensors resident in the shared memory. */
export function residentTensors(): ResidentTensors {
  return (tensors ??= new ResidentTensors(sharedMemory()));
}

/**
 * Binaryen passes run on every module: none. The emitters already produce straight loops, and
 * V8's optimizing compiler does the local and instruction clean-up itself: on the MLP train step,
 * GELU, softmax and the spirals step, kernels optimized by Binaryen's -O2 (150-300 ms on a first
 * compile) or by a short list of local and instruction passes (60-120 ms) ran no faster than
 * unoptimized ones, while even a single pass adds 20-90 ms to a first compile. Validation stays.
 */
const OPTIMIZE_PASSES: string[] = [];

export interface WasmStats extends Record<string, number> {
  kernels: number;
  wasmBytes: number;
  buildMs: number;
  /** Validation plus optimization passes. */
  optimizeMs: number;
  instantiateMs: number;
  frameBytes: number;
}

/**
 * Compiles `graph` for the wasm backend. Binaryen must be loaded. The pipeline's planMemory pass
 * plans with this backend's policy; a graph planned otherwise (or not at all, as with
 * `passes: []`) is planned here with it.
 */
export function compileGraph(graph: Graph): Executable & { stats: WasmStats } {
  const t0 = performance.now();
  const binaryen = binaryenSync();
  const planned =
    memoryPlanOf(graph)?.policy === wasmMemoryPolicy.name
      ? graph
      : planMemory(graph, { memoryPolicy: wasmMemoryPolicy });
  const plan = memoryPlanOf(planned)!;
  const memory = sharedMemory();
  const mod = new binaryen.Module();
  try {
    return build(binaryen, mod, planned, plan, memory, t0);
  } catch (e) {
    mod.dispose();
    throw e;
  }
}

/** A module with its kernels and entry, and where every value lives. */
interface BuiltModule {
  kernelCount: number;
  frame: FrameLayout;
  staticData: { release: () => void };
  varParams: Param[];
}

function emitModule(
  binaryen: Binaryen,
  mod: BinaryenModule,
  ctx: ModuleContext,
  graph: Graph,
  plan: MemoryPlan,
  memory: WasmMemory,
): BuiltModule {
  const F = binaryen.Features;
  mod.setFeatures(F.MVP | F.SIMD128 | F.BulkMemory | F.BulkMemoryOpt | F.NontrappingFPToInt | F.SignExt);
  mod.setMemory(1, 65536, null, [], false, false, 'memory');
  mod.addMemoryImport('memory', 'kiln', 'memory');
  const computing = graph.nodes.filter(
    (n) => n.op !== CONSTANT_OP && !(n.op === 'reshape' && plan.aliases.has(n.output)),
  );
  const kernels = new Map(computing.map((n) => [n, lowerNode(ctx, n)]));
  const scratchBytes = Math.max(0, ...[...kernels.values()].map((k) => k.scratchBytes));
  const { stagedValues, offsets, stagingBytes, updates } = planCopies(graph, plan);
  const frame = layoutFrame(plan, scratchBytes, stagingBytes);
  // Argument and result blocks are separate from the frame but are needed during a call too.
  const ownBlocks = [...graph.params.filter((p) => p.kind === 'arg').map((p) => p.value), ...graph.results];
  const callBytes = ownBlocks.reduce((s, v) => s + align(bytesOf(v.type)), frame.bytes);
  if (callBytes > MAX_MEMORY_BYTES) {
    throw new KilnMemoryLimitError(
      `wasm backend: @${graph.name} needs ${formatBytes(callBytes)} per call (arena ${formatBytes(plan.peakBytes)}), more than WebAssembly's 4 GiB memory`,
      null,
    );
  }
  const staticData = placeConstants(graph, memory);
  const direct = directResults(graph, plan, new Set(stagedValues));
  const locate = locator(graph, plan, frame, staticData.addresses, direct);
  const staged = (v: Value): Location =>
    offsets.has(v) ? { kind: 'frame', offset: frame.staging + offsets.get(v)! } : locate(v);
  const varParams = graph.params.filter((p) => p.kind === 'var');
  const copies: Copy[] = [
    ...stagedValues.map((v) => ({ from: locate(v), to: staged(v), bytes: bytesOf(v.type) })),
    ...updates.map((u) => ({
      from: staged(u.value),
      to: { kind: 'var', index: varParams.indexOf(u.target) } as Location,
      bytes: bytesOf(u.value.type),
    })),
    // Every result ends in its own block; those the kernels did not write there are copied in.
    ...graph.results.flatMap((v, i): Copy[] =>
      direct.get(v) === i ? [] : [{ from: staged(v), to: { kind: 'out', index: i }, bytes: bytesOf(v.type) }],
    ),
  ];
  const argCount = graph.params.filter((p) => p.kind === 'arg').length;
  addEntry(ctx, graph, kernels, locate, frame, copies, varParams.length, argCount);
  return { kernelCount: kernels.size, frame, staticData, varParams };
}

/** Validates (and optimizes, if any passes are set) the module, then instantiates it. */
function instantiate(mod: BinaryenModule, ctx: ModuleContext, memory: WasmMemory, name: string) {
  const t0 = performance.now();
  // Validation is the check that our emitters produce well-formed code; it runs on every module.
  if (!mod.validate())
    throw new KilnError(`wasm backend: internal error: the module for @${name} does not validate`, null);
  if (OPTIMIZE_PASSES.length) mod.runPasses(OPTIMIZE_PASSES);
  const optimizeMs = performance.now() - t0;
  const bytes = mod.emitBinary() as Uint8Array<ArrayBuffer>;
  const t1 = performance.now();
  const imports = moduleImports(memory, ctx);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { kiln: imports.kiln });
  return {
    entry: instance.exports.entry as (...addresses: number[]) => void,
    imports,
    wasmBytes: bytes.byteLength,
    optimizeMs,
    instantiateMs: performance.now() - t1,
  };
}

function build(
  binaryen: Binaryen,
  mod: BinaryenModule,
  graph: Graph,
  plan: MemoryPlan,
  memory: WasmMemory,
  t0: number,
): Executable & { stats: WasmStats } {
  const ctx = new ModuleContext(binaryen, mod);
  const built = emitModule(binaryen, mod, ctx, graph, plan, memory);
  const buildMs = performance.now() - t0;
  let compiled: ReturnType<typeof instantiate>;
  try {
    compiled = instantiate(mod, ctx, memory, graph.name);
  } catch (e) {
    built.staticData.release();
    throw e;
  }
  const { entry, imports } = compiled;
  const { frame, varParams } = built;
  const argBytes = graph.params.filter((p) => p.kind === 'arg').map((p) => bytesOf(p.value.type));
  const resultTypes = graph.results.map((v) => ({ ...v.type, size: sizeOf(v.type.shape), bytes: bytesOf(v.type) }));
  const updatedVarIndices = graph.updates.map((u) => varParams.indexOf(u.target));
  const vars = residentVariables(memory);
  const pool = residentTensors();
  let disposed = false;
  const stats: WasmStats = {
    kernels: built.kernelCount,
    wasmBytes: compiled.wasmBytes,
    buildMs,
    optimizeMs: compiled.optimizeMs,
    instantiateMs: compiled.instantiateMs,
    frameBytes: frame.bytes,
  };
  return {
    stats,
    run(args, variables) {
      const base = memory.frame(frame.bytes);
      const argAddresses = argBytes.map((bytes, i) => pool.addressOf(args[i]!, bytes));
      const varAddresses = variables.map((v) => vars.resident(v));
      const outs = resultTypes.map((t) => pool.allocate(t.dtype, t.size, t.bytes));
      imports.clearFailure();
      try {
        entry(base, ...varAddresses, ...argAddresses, ...outs.map((o) => o.offset));
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
      return name === 'wat' && !disposed ? mod.emitText() : undefined;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      built.staticData.release();
      mod.dispose();
    },
  };
}

/** entry(frame, ...variable, argument and result addresses): every kernel in order, then the copies. */
function addEntry(
  ctx: ModuleContext,
  graph: Graph,
  kernels: Map<Node, { name: string }>,
  locate: (v: Value) => Location,
  frame: FrameLayout,
  copies: Copy[],
  varCount: number,
  argCount: number,
): void {
  const b = new FunctionBuilder(ctx, 1 + varCount + argCount + graph.results.length);
  const { mod } = b;
  const firstParam = { var: 1, arg: 1 + varCount, out: 1 + varCount + argCount };
  const address = (loc: Location): ExpressionRef =>
    loc.kind === 'frame'
      ? b.addr(b.param(0), loc.offset)
      : loc.kind === 'static'
        ? b.i32(loc.address)
        : b.param(firstParam[loc.kind] + loc.index);
  const calls = graph.nodes
    .filter((n) => kernels.has(n))
    .map((n) =>
      mod.call(
        kernels.get(n)!.name,
        [
          ...nodeOutputs(n).map((v) => address(locate(v))),
          ...n.inputs.map((v) => address(locate(v))),
          b.addr(b.param(0), frame.scratch),
        ],
        b.binaryen.none,
      ),
    );
  const moves = copies.map((c) => mod.memory.copy(address(c.to), address(c.from), b.i32(c.bytes)));
  b.finish('entry', [...calls, ...moves]);
  mod.addFunctionExport('entry', 'entry');
}
