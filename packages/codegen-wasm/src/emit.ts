/**
 * @file The one step of compiling that needs Binaryen: lowers a memory-planned graph to a
 * WebAssembly module, a kernel function per computing node and an entry that calls them in
 * order, then does the end-of-call copies. What it returns is plain data (the module's bytes and
 * the few facts the runtime needs), so it can cross a thread or be stored on disk.
 */
import { KilnError } from '@kiln-jit/core';
import { CONSTANT_OP, type Graph, type MemoryPlan, type Node, type Value } from '@kiln-jit/tracer';
import { binaryenSync, type BinaryenModule, type ExpressionRef } from './binaryen.ts';
import { ModuleContext } from './lower/module-context.ts';
import { lowerNode } from './lower/lower-node.ts';
import { FunctionBuilder } from './function-builder.ts';
import type { Kernel } from './lower/kernel-types.ts';
import { codegenOptions, type CodegenOptions } from './codegen-options.ts';
import {
  addParallelEntry,
  copyStatements,
  entryAddresses,
  kernelCall,
  kernelOrder,
  type EntryKernel,
  type EntryParts,
} from './parallel-entry.ts';
import {
  bytesOf,
  directResults,
  layoutConstants,
  layoutFrame,
  locator,
  planCopies,
  type Copy,
  type FrameLayout,
  type Location,
} from './storage.ts';

/**
 * Binaryen passes run on every module: none. The emitters already produce straight loops, and
 * V8's optimizing compiler does the local and instruction clean-up itself: on the MLP train step,
 * GELU, softmax and the spirals step, kernels optimized by Binaryen's -O2 (150-300 ms on a first
 * compile) or by a short list of local and instruction passes (60-120 ms) ran no faster than
 * unoptimized ones, while even a single pass adds 20-90 ms to a first compile. Validation stays.
 */
const OPTIMIZE_PASSES: string[] = [];

/**
 * The entry a module's first calls use (compile.ts), exported when any kernel is split. V8 runs a
 * new module's functions in its baseline compiler and moves a hot one to its optimizing compiler
 * in the background, but a call already running keeps the baseline code to its end: one call of
 * the MLP step's largest matmul ran ~35 ms, ~4x its optimized time. Calling each split kernel in
 * WARM_PARTS pieces lets the later pieces run the optimized code as soon as it is ready.
 */
export const WARM_ENTRY = 'entry_warm';
const WARM_PARTS = 8;

/** A compiled module as data: everything the runtime needs besides the graph itself. */
export interface CompiledModule {
  wasm: Uint8Array<ArrayBuffer>;
  kernels: number;
  /** Kernel scratch in the frame; with the plan it fixes the frame layout. */
  scratchBytes: number;
  /** The frame's size, recorded so a cached module can be checked against the graph it runs. */
  frameBytes: number;
  constantBytes: number;
  /** By print index: the printing node's position in walkNodes() order. */
  printed: number[];
  /** By fail code: the failing node's position in walkNodes() order. */
  failing: number[];
  buildMs: number;
  optimizeMs: number;
  /**
   * Per kernel, in call order: into how many parts threads may split it (0: it runs on one
   * thread). When any is split, the module exports `entry_mt` (parallel-entry.ts).
   */
  splits: number[];
  /** The kernel ops, in call order (for the per-kernel thread report). */
  kernelOps: string[];
}

/** Every node of the graph, of fused bodies and of control-flow regions, depth first. */
export function walkNodes(graph: Graph): Node[] {
  return graph.nodes.flatMap((n) => [n, ...(n.body ? walkNodes(n.body) : []), ...(n.regions ?? []).flatMap(walkNodes)]);
}

/** The nodes that run as kernels, in call order (constants and reshape views have none). */
export function kernelNodes(graph: Graph, plan: MemoryPlan): Node[] {
  return graph.nodes.filter((n) => n.op !== CONSTANT_OP && !(n.op === 'reshape' && plan.aliases.has(n.output)));
}

/** The staging area and frame of `graph` once the kernels' scratch is known. */
export function frameOf(graph: Graph, plan: MemoryPlan, scratchBytes: number): FrameLayout {
  return layoutFrame(plan, scratchBytes, planCopies(graph, plan).stagingBytes);
}

/**
 * Lowers `graph` (planned with the wasm policy as `plan`) with the loaded Binaryen. Returns the
 * module as data and the Binaryen module itself (its text is the `wat` stage; the caller
 * disposes it).
 */
export function emitModule(
  graph: Graph,
  plan: MemoryPlan,
  options: CodegenOptions = codegenOptions(),
): { compiled: CompiledModule; mod: BinaryenModule } {
  const t0 = performance.now();
  const binaryen = binaryenSync();
  const mod = new binaryen.Module();
  try {
    const ctx = new ModuleContext(binaryen, mod, options);
    const F = binaryen.Features;
    const threads = options.threads ? F.Atomics : 0;
    const relaxed = options.relaxedSimd ? F.RelaxedSIMD : 0;
    mod.setFeatures(
      F.MVP | F.SIMD128 | F.BulkMemory | F.BulkMemoryOpt | F.NontrappingFPToInt | F.SignExt | threads | relaxed,
    );
    mod.setMemory(1, 65536, null, [], options.threads, false, 'memory');
    mod.addMemoryImport('memory', 'kiln', 'memory', options.threads);
    const kernels = new Map(
      kernelNodes(graph, plan).map((n): [Node, EntryKernel] => {
        const imports = ctx.importUses;
        const kernel = lowerNode(ctx, n);
        // A kernel that calls JavaScript (print, fail, pow, ...) runs on the calling thread.
        return [n, { ...kernel, parallel: kernel.split !== undefined && ctx.importUses === imports }];
      }),
    );
    const scratchBytes = Math.max(0, ...[...kernels.values()].map((k) => k.scratchBytes));
    const { stagedValues, offsets, stagingBytes, updates } = planCopies(graph, plan);
    const frame = layoutFrame(plan, scratchBytes, stagingBytes);
    const constants = layoutConstants(graph);
    const direct = directResults(graph, plan, new Set(stagedValues));
    const locate = locator(graph, plan, frame, constants.offsets, direct);
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
    const entry = { graph, kernels, locate, frame, copies, varCount: varParams.length, argCount };
    addEntry(ctx, entry, 'entry', 1);
    if ([...kernels.values()].some((k) => k.split)) addEntry(ctx, entry, WARM_ENTRY, WARM_PARTS);
    if ([...kernels.values()].some((k) => k.parallel)) addParallelEntry(ctx, entry);
    const buildMs = performance.now() - t0;
    const t1 = performance.now();
    // Validation is the check that our emitters produce well-formed code; it runs on every module.
    if (!mod.validate())
      throw new KilnError(`wasm backend: internal error: the module for @${graph.name} does not validate`, null);
    if (OPTIMIZE_PASSES.length) mod.runPasses(OPTIMIZE_PASSES);
    const wasm = mod.emitBinary() as Uint8Array<ArrayBuffer>;
    const position = new Map(walkNodes(graph).map((n, i) => [n, i]));
    const compiled: CompiledModule = {
      wasm,
      kernels: kernels.size,
      scratchBytes,
      frameBytes: frame.bytes,
      constantBytes: constants.bytes,
      printed: ctx.printed.map((n) => position.get(n)!),
      failing: ctx.failingNodes.map((n) => position.get(n)!),
      buildMs,
      optimizeMs: performance.now() - t1,
      splits: [...kernels.values()].map((k) => (k.parallel ? k.split!.extent : 0)),
      kernelOps: [...kernels.keys()].map((n) => n.op),
    };
    return { compiled, mod };
  } catch (e) {
    mod.dispose();
    throw e;
  }
}

/**
 * entry(frame, constants, ...variable, argument and result addresses): every kernel in order,
 * then the copies, on the calling thread. Every address is a block's base plus a fixed offset.
 * `entry_warm` (WARM_ENTRY) is the same but calls each split kernel over its range in WARM_PARTS
 * pieces.
 */
function addEntry(ctx: ModuleContext, e: EntryParts, name: string, parts: number): void {
  const b = new FunctionBuilder(ctx, 2 + e.varCount + e.argCount + e.graph.results.length);
  const address = entryAddresses(b, e, 0);
  const scratch = (): ExpressionRef => b.addr(b.param(0), e.frame.scratch);
  const constants = (range: number[]): ExpressionRef[] => range.map((i) => b.i32(i));
  const calls = kernelOrder(e).flatMap(([n, k]) =>
    rangesOf(k, parts).map((range) => kernelCall(b, n, k, e, address, scratch, constants(range))),
  );
  b.finish(name, [...calls, ...copyStatements(b, e, address)]);
  b.mod.addFunctionExport(name, name);
}

/**
 * The (lo, hi) ranges of `kernel`'s calls when its range is cut into `parts` pieces: one empty
 * list for an unsplit kernel. Any cut gives the same results (no split divides one output's sum).
 */
function rangesOf(kernel: Kernel, parts: number): number[][] {
  if (!kernel.split) return [[]];
  const { extent } = kernel.split;
  const step = Math.max(1, Math.ceil(extent / parts));
  const ranges: number[][] = [];
  for (let lo = 0; lo < extent; lo += step) ranges.push([lo, Math.min(lo + step, extent)]);
  return ranges.length ? ranges : [[0, extent]];
}
