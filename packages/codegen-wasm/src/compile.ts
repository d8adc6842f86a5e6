/**
 * @file Compiles a planned graph into one WebAssembly module: a kernel function per node that
 * computes, and an entry function that calls them in order at the memory plan's static offsets,
 * then writes variable updates. The module is validated, optimized and instantiated once; the
 * executable writes arguments in, runs the entry, and reads results out.
 */
import {
  BYTES_PER_ELEMENT, KilnArgumentError, KilnError, makeTensor, sizeOf, type Tensor, type TensorType, type Variable,
} from '@kiln/core';
import {
  CONSTANT_OP, constantTensor, memoryPlanOf, planMemory, type Executable, type Graph, type MemoryPlan, type Node, type Param, type Value,
} from '@kiln/tracer';
import { binaryenSync, type Binaryen, type ExpressionRef } from './binaryen.ts';
import { ModuleContext } from './lower/module-context.ts';
import { lowerNode } from './lower/lower-node.ts';
import { KernelBuilder } from './lower/kernel-builder.ts';
import { scalarHelpers } from './runtime/scalar-helpers.ts';
import { formatBytes, KilnMemoryLimitError, MAX_MEMORY_BYTES, sharedMemory, type WasmMemory } from './runtime/memory.ts';
import { ResidentVariables } from './runtime/variables.ts';

/**
 * Binaryen passes run on every module: none. The emitters already produce straight loops, and
 * V8's optimizing compiler does the local and instruction clean-up itself: on the MLP train step,
 * GELU, softmax and the spirals step, kernels optimized by Binaryen's -O2 (150-300 ms on a first
 * compile) or by a short list of local and instruction passes (60-120 ms) ran no faster than
 * unoptimized ones, while even a single pass adds 20-90 ms to a first compile. Validation stays.
 */
const OPTIMIZE_PASSES: string[] = [];

/** Where a value lives: in the per-call frame, in a variable's block, or at a fixed address. */
type Location = { kind: 'frame'; offset: number } | { kind: 'var'; index: number } | { kind: 'static'; address: number };

const align = (n: number): number => Math.ceil(n / 16) * 16;
const bytesOf = (t: TensorType): number => sizeOf(t.shape) * BYTES_PER_ELEMENT[t.dtype];

let resident: ResidentVariables | null = null;
function residentVariables(memory: WasmMemory): ResidentVariables {
  return (resident ??= new ResidentVariables(memory));
}

/** The frame: arguments, then the planned arena, then kernel scratch, then staging copies. */
interface FrameLayout {
  args: Map<Param, number>;
  arena: number;
  scratch: number;
  staging: number;
  bytes: number;
}

function layoutFrame(graph: Graph, plan: MemoryPlan, scratchBytes: number, stagingBytes: number): FrameLayout {
  const args = new Map<Param, number>();
  let offset = 0;
  for (const p of graph.params) {
    if (p.kind !== 'arg') continue;
    args.set(p, offset);
    offset += align(bytesOf(p.value.type));
  }
  const arena = offset;
  const scratch = arena + align(plan.peakBytes);
  const staging = scratch + align(scratchBytes);
  return { args, arena, scratch, staging, bytes: staging + align(stagingBytes) };
}

/** Statically placed data: constant nodes and captured constants, written once at compile time. */
function placeConstants(graph: Graph, memory: WasmMemory): { addresses: Map<Value, number>; release: () => void } {
  const items: [Value, Tensor][] = [
    ...graph.params.filter((p) => p.kind === 'const').map((p): [Value, Tensor] => {
      if (!p.data) throw new KilnArgumentError(`wasm backend: captured constant %${p.name} has no data (was the graph parsed from text?)`, null);
      return [p.value, p.data];
    }),
    ...graph.nodes.filter((n) => n.op === CONSTANT_OP).map((n): [Value, Tensor] => [n.output, constantTensor(n)]),
  ];
  const total = items.reduce((s, [, t]) => s + align(t.storage!.byteLength), 0);
  // Empty constants are never read: any address will do.
  if (total === 0) return { addresses: new Map(items.map(([v]) => [v, 0])), release: () => {} };
  const base = memory.alloc(total, 'constants');
  const addresses = new Map<Value, number>();
  let offset = base;
  for (const [v, t] of items) {
    memory.write(offset, t.storage!);
    addresses.set(v, offset);
    offset += align(t.storage!.byteLength);
  }
  return { addresses, release: () => memory.release(base, total) };
}

/** Resolves every value to its location from the plan. */
function locator(graph: Graph, plan: MemoryPlan, frame: FrameLayout, statics: Map<Value, number>): (v: Value) => Location {
  const varIndex = new Map(graph.params.filter((p) => p.kind === 'var').map((p, i) => [p.value, i]));
  const argParams = new Map(graph.params.filter((p) => p.kind === 'arg').map((p) => [p.value, p]));
  const locate = (v: Value): Location => {
    const arg = argParams.get(v);
    if (arg) return { kind: 'frame', offset: frame.args.get(arg)! };
    if (varIndex.has(v)) return { kind: 'var', index: varIndex.get(v)! };
    if (statics.has(v)) return { kind: 'static', address: statics.get(v)! };
    const alias = plan.aliases.get(v);
    if (alias) return locate(alias);
    const slot = plan.slots.get(v);
    if (slot) return { kind: 'frame', offset: frame.arena + slot.offset };
    const into = plan.inPlace.get(v);
    if (into) return locate(into);
    throw new Error(`wasm backend: value #${v.id} has no storage in the memory plan`);
  };
  return locate;
}

interface Copy { from: Location; to: Location; bytes: number }

export interface WasmStats extends Record<string, number> {
  kernels: number;
  wasmBytes: number;
  buildMs: number;
  /** Validation plus optimization passes. */
  optimizeMs: number;
  instantiateMs: number;
  frameBytes: number;
}

/** Compiles `graph` (planned or not) for the wasm backend. Binaryen must be loaded. */
export function compileGraph(graph: Graph): Executable & { stats: WasmStats } {
  const t0 = performance.now();
  const binaryen = binaryenSync();
  const planned = memoryPlanOf(graph) ? graph : planMemory(graph);
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

function build(binaryen: Binaryen, mod: InstanceType<Binaryen['Module']>, graph: Graph, plan: MemoryPlan, memory: WasmMemory, t0: number): Executable & { stats: WasmStats } {
  const F = binaryen.Features;
  mod.setFeatures(F.MVP | F.SIMD128 | F.BulkMemory | F.BulkMemoryOpt | F.NontrappingFPToInt | F.SignExt);
  mod.setMemory(1, 65536, null, [], false, false, 'memory');
  mod.addMemoryImport('memory', 'kiln', 'memory');
  const ctx = new ModuleContext(binaryen, mod);
  const computing = graph.nodes.filter((n) => n.op !== CONSTANT_OP && !(n.op === 'reshape' && plan.aliases.has(n.output)));
  const kernels = new Map(computing.map((n) => [n, lowerNode(ctx, n)]));
  const scratchBytes = Math.max(0, ...[...kernels.values()].map((k) => k.scratchBytes));
  const staticData = placeConstants(graph, memory);
  const updates = graph.updates.filter((u) => !(plan.variablesInPlace.has(u.target) && storageIsVar(plan, u.value, u.target)));
  // Sources that live in an updated variable's block are staged first, so no copy reads a block
  // another copy already overwrote (a swap, or a result that is the old value).
  const updatedVars = new Set(graph.updates.map((u) => u.target.value));
  const stagingFor = (v: Value): boolean => rootVar(plan, v) !== null && updatedVars.has(rootVar(plan, v)!);
  const stagedValues = [...new Set([...updates.map((u) => u.value), ...graph.results].filter(stagingFor))];
  let stagingBytes = 0;
  const stagingOffsets = new Map<Value, number>();
  for (const v of stagedValues) {
    stagingOffsets.set(v, stagingBytes);
    stagingBytes += align(bytesOf(v.type));
  }
  const frame = layoutFrame(graph, plan, scratchBytes, stagingBytes);
  if (frame.bytes > MAX_MEMORY_BYTES) {
    staticData.release();
    throw new KilnMemoryLimitError(`wasm backend: @${graph.name} needs ${formatBytes(frame.bytes)} per call (arena ${formatBytes(plan.peakBytes)}), more than WebAssembly's 4 GiB memory`, null);
  }
  const locate = locator(graph, plan, frame, staticData.addresses);
  const staged = (v: Value): Location => (stagingOffsets.has(v) ? { kind: 'frame', offset: frame.staging + stagingOffsets.get(v)! } : locate(v));
  const varParams = graph.params.filter((p) => p.kind === 'var');
  const copies: Copy[] = [
    ...stagedValues.map((v) => ({ from: locate(v), to: staged(v), bytes: bytesOf(v.type) })),
    ...updates.map((u) => ({ from: staged(u.value), to: { kind: 'var', index: varParams.indexOf(u.target) } as Location, bytes: bytesOf(u.value.type) })),
  ];
  addEntry(ctx, graph, kernels, locate, frame, copies, varParams.length);
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  // Validation is the check that our emitters produce well-formed code; it runs on every module.
  if (!mod.validate()) throw new KilnError(`wasm backend: internal error: the module for @${graph.name} does not validate`, null);
  if (OPTIMIZE_PASSES.length) mod.runPasses(OPTIMIZE_PASSES);
  const optimizeMs = performance.now() - t1;
  const bytes = mod.emitBinary() as Uint8Array<ArrayBuffer>;
  const t2 = performance.now();
  let failure: { op: string; index: number; limit: number } | null = null;
  const imports = {
    kiln: {
      memory: memory.memory,
      ...scalarHelpers,
      fail: (code: number, index: number, limit: number) => { failure = { op: ctx.failingOps[code]!, index, limit }; },
      print: (index: number, address: number) => {
        const node = ctx.printed[index]!;
        const t = node.inputs[0]!.type;
        const x = makeTensor(t.shape, t.dtype, memory.read(address, t.dtype, sizeOf(t.shape)));
        const label = node.attrs.label as string;
        console.log(label ? `${label}: ${x.toString()}` : x.toString());
      },
    },
  };
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  const entry = instance.exports.entry as (...addresses: number[]) => void;
  const instantiateMs = performance.now() - t2;
  const resultLocations = graph.results.map(staged);
  const argList = graph.params.filter((p) => p.kind === 'arg');
  const vars = residentVariables(memory);
  let disposed = false;
  const stats: WasmStats = { kernels: kernels.size, wasmBytes: bytes.byteLength, buildMs, optimizeMs, instantiateMs, frameBytes: frame.bytes };
  return {
    stats,
    run(args, variables) {
      const base = memory.frame(frame.bytes);
      argList.forEach((p, i) => memory.write(base + frame.args.get(p)!, args[i]!.storage!));
      const varAddresses = variables.map((v) => vars.resident(v));
      failure = null;
      try {
        entry(base, ...varAddresses);
      } catch (e) {
        if (failure) {
          const f = failure as { op: string; index: number; limit: number };
          throw new KilnArgumentError(`${f.op}: index ${f.index} is out of range [0, ${f.limit}) in traced function @${graph.name}`, null);
        }
        throw e;
      }
      const address = (loc: Location): number => (loc.kind === 'frame' ? base + loc.offset : loc.kind === 'var' ? varAddresses[loc.index]! : loc.address);
      const results = graph.results.map((v, i) => makeTensor(v.type.shape, v.type.dtype, memory.read(address(resultLocations[i]!), v.type.dtype, sizeOf(v.type.shape))));
      for (const u of graph.updates) vars.updated(variables[varParams.indexOf(u.target)]!);
      return results;
    },
    stage(name) {
      if (name !== 'wat' || disposed) return undefined;
      return mod.emitText();
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      staticData.release();
      mod.dispose();
    },
  };
}

/** The variable param whose block holds `v` (through in-place reuse and views), or null. */
function rootVar(plan: MemoryPlan, v: Value): Value | null {
  let cur: Value | undefined = v;
  while (cur) {
    if (!plan.slots.has(cur) && !plan.aliases.has(cur) && !plan.inPlace.has(cur)) return cur;
    cur = plan.aliases.get(cur) ?? plan.inPlace.get(cur);
  }
  return null;
}

function storageIsVar(plan: MemoryPlan, v: Value, target: Param): boolean {
  return rootVar(plan, v) === target.value;
}

/** entry(frame, ...variable addresses): every kernel in order, then the copies. */
function addEntry(ctx: ModuleContext, graph: Graph, kernels: Map<Node, { name: string }>, locate: (v: Value) => Location,
  frame: FrameLayout, copies: Copy[], varCount: number): void {
  const b = new KernelBuilder(ctx, 1 + varCount);
  const { mod } = b;
  const address = (loc: Location): ExpressionRef =>
    loc.kind === 'frame' ? b.addr(b.param(0), loc.offset) : loc.kind === 'var' ? b.param(1 + loc.index) : b.i32(loc.address);
  const calls = graph.nodes.filter((n) => kernels.has(n)).map((n) => mod.call(kernels.get(n)!.name,
    [address(locate(n.output)), ...n.inputs.map((v) => address(locate(v))), b.addr(b.param(0), frame.scratch)], b.binaryen.none));
  const moves = copies.map((c) => mod.memory.copy(address(c.to), address(c.from), b.i32(c.bytes)));
  b.finish('entry', [...calls, ...moves]);
  mod.addFunctionExport('entry', 'entry');
}
