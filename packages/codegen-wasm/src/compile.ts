/**
 * @file Compiles a planned graph into one WebAssembly module: a kernel function per node that
 * computes, and an entry function that calls them in order at the memory plan's static offsets,
 * then writes variable updates. The module is validated, optimized and instantiated once; the
 * executable writes arguments in, runs the entry, and reads results out.
 */
import { KilnArgumentError, KilnError, makeTensor, sizeOf } from '@kiln-jit/core';
import {
  CONSTANT_OP,
  memoryPlanOf,
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
  bytesOf,
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

let resident: ResidentVariables | null = null;
function residentVariables(memory: WasmMemory): ResidentVariables {
  return (resident ??= new ResidentVariables(memory));
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
  /** Where each result is read after a call. */
  resultLocations: Location[];
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
  const frame = layoutFrame(graph, plan, scratchBytes, stagingBytes);
  if (frame.bytes > MAX_MEMORY_BYTES) {
    throw new KilnMemoryLimitError(
      `wasm backend: @${graph.name} needs ${formatBytes(frame.bytes)} per call (arena ${formatBytes(plan.peakBytes)}), more than WebAssembly's 4 GiB memory`,
      null,
    );
  }
  const staticData = placeConstants(graph, memory);
  const locate = locator(graph, plan, frame, staticData.addresses);
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
  ];
  addEntry(ctx, graph, kernels, locate, frame, copies, varParams.length);
  return { kernelCount: kernels.size, frame, staticData, resultLocations: graph.results.map(staged), varParams };
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
  const { frame, resultLocations, varParams } = built;
  const argList = graph.params.filter((p) => p.kind === 'arg');
  const updatedVarIndices = graph.updates.map((u) => varParams.indexOf(u.target));
  const vars = residentVariables(memory);
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
      argList.forEach((p, i) => memory.write(base + frame.args.get(p)!, args[i]!.storage!));
      const varAddresses = variables.map((v) => vars.resident(v));
      imports.clearFailure();
      try {
        entry(base, ...varAddresses);
      } catch (e) {
        const f = imports.failure();
        if (f)
          throw new KilnArgumentError(
            `${f.op}: index ${f.index} is out of range [0, ${f.limit}) in traced function @${graph.name}`,
            f.loc,
          );
        throw e;
      }
      const address = (loc: Location): number =>
        loc.kind === 'frame' ? base + loc.offset : loc.kind === 'var' ? varAddresses[loc.index]! : loc.address;
      const results = graph.results.map((v, i) =>
        makeTensor(
          v.type.shape,
          v.type.dtype,
          memory.read(address(resultLocations[i]!), v.type.dtype, sizeOf(v.type.shape)),
        ),
      );
      for (const i of updatedVarIndices) vars.updated(variables[i]!);
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

/** entry(frame, ...variable addresses): every kernel in order, then the copies. */
function addEntry(
  ctx: ModuleContext,
  graph: Graph,
  kernels: Map<Node, { name: string }>,
  locate: (v: Value) => Location,
  frame: FrameLayout,
  copies: Copy[],
  varCount: number,
): void {
  const b = new FunctionBuilder(ctx, 1 + varCount);
  const { mod } = b;
  const address = (loc: Location): ExpressionRef =>
    loc.kind === 'frame'
      ? b.addr(b.param(0), loc.offset)
      : loc.kind === 'var'
        ? b.param(1 + loc.index)
        : b.i32(loc.address);
  const calls = graph.nodes
    .filter((n) => kernels.has(n))
    .map((n) =>
      mod.call(
        kernels.get(n)!.name,
        [address(locate(n.output)), ...n.inputs.map((v) => address(locate(v))), b.addr(b.param(0), frame.scratch)],
        b.binaryen.none,
      ),
    );
  const moves = copies.map((c) => mod.memory.copy(address(c.to), address(c.from), b.i32(c.bytes)));
  b.finish('entry', [...calls, ...moves]);
  mod.addFunctionExport('entry', 'entry');
}
