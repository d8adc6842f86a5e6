/**
 * @file Where every value of a compiled graph lives. Arguments and results are blocks of their
 * own, passed to the entry by address (resident tensors); one per-call frame holds the memory
 * plan's arena, kernel scratch and a staging area; constants sit in a block of their own,
 * written once per executable; variables live in their own resident blocks. Updates that are not computed in
 * place are copies at the end of the call, staged where a copy could read a block that another
 * copy already overwrote.
 */
import { BYTES_PER_ELEMENT, KilnArgumentError, sizeOf, type Tensor, type TensorType } from '@kiln-jit/core';
import { CONSTANT_OP, constantTensor, type Graph, type MemoryPlan, type Param, type Value } from '@kiln-jit/tracer';
import type { WasmMemory } from './runtime/memory.ts';

/**
 * Where a value lives: in the per-call frame, in a variable's, argument's or result's block
 * (the entry's parameters), or in the constants block. Offsets are relative to their block, so
 * a compiled module runs wherever its blocks land (and can be cached across processes).
 */
export type Location =
  | { kind: 'frame'; offset: number }
  | { kind: 'var' | 'arg' | 'out'; index: number }
  | { kind: 'static'; offset: number };

export const align = (n: number): number => Math.ceil(n / 16) * 16;
export const bytesOf = (t: TensorType): number => sizeOf(t.shape) * BYTES_PER_ELEMENT[t.dtype];

/** The frame: the planned arena, then kernel scratch, then staging copies. */
export interface FrameLayout {
  arena: number;
  scratch: number;
  staging: number;
  bytes: number;
}

export function layoutFrame(plan: MemoryPlan, scratchBytes: number, stagingBytes: number): FrameLayout {
  const arena = 0;
  const scratch = arena + align(plan.peakBytes);
  const staging = scratch + align(scratchBytes);
  return { arena, scratch, staging, bytes: staging + align(stagingBytes) };
}

/**
 * Results the kernels can write straight into their result block: a result that owns an arena
 * buffer (not staged), returned once. The whole buffer moves to the result block: the values
 * before it in the buffer were overwritten in place to make it, and nothing after it may write
 * there, since a result lives to the end of the call. Maps each value of such a buffer to the
 * result's index.
 */
export function directResults(graph: Graph, plan: MemoryPlan, staged: ReadonlySet<Value>): Map<Value, number> {
  const bufferOf = new Map(plan.buffers.flatMap((b) => b.values.map((v) => [v, b] as const)));
  const direct = new Map<Value, number>();
  graph.results.forEach((v, i) => {
    const buffer = bufferOf.get(v);
    if (!buffer || staged.has(v) || direct.has(v)) return;
    if (buffer.values.some((u) => direct.has(u) || bytesOf(u.type) !== bytesOf(v.type))) return;
    for (const u of buffer.values) direct.set(u, i);
  });
  return direct;
}

/** The graph's constant data: captured `const` params, then constant nodes, in graph order. */
function constantValues(graph: Graph): Value[] {
  return [
    ...graph.params.filter((p) => p.kind === 'const').map((p) => p.value),
    ...graph.nodes.filter((n) => n.op === CONSTANT_OP).map((n) => n.output),
  ];
}

/** Where each constant sits in the constants block, from types alone (no data needed). */
export function layoutConstants(graph: Graph): { offsets: Map<Value, number>; bytes: number } {
  const offsets = new Map<Value, number>();
  let bytes = 0;
  for (const v of constantValues(graph)) {
    offsets.set(v, bytes);
    bytes += align(bytesOf(v.type));
  }
  return { offsets, bytes };
}

/** Writes the constants block (its layout from layoutConstants) into memory, once per executable. */
export function placeConstants(graph: Graph, memory: WasmMemory): { base: number; release: () => void } {
  const data = new Map<Value, Tensor>([
    ...graph.params
      .filter((p) => p.kind === 'const')
      .map((p): [Value, Tensor] => {
        if (!p.data)
          throw new KilnArgumentError(
            `wasm backend: captured constant %${p.name} has no data (was the graph parsed from text?)`,
            null,
          );
        return [p.value, p.data];
      }),
    ...graph.nodes.filter((n) => n.op === CONSTANT_OP).map((n): [Value, Tensor] => [n.output, constantTensor(n)]),
  ]);
  const { offsets, bytes } = layoutConstants(graph);
  // Empty constants are never read: any address will do.
  if (bytes === 0) return { base: 0, release: () => {} };
  const base = memory.alloc(bytes, 'constants');
  for (const [v, offset] of offsets) {
    const storage = data.get(v)!.storage!;
    if (storage.byteLength !== bytesOf(v.type))
      throw new Error(
        `wasm backend: constant #${v.id} holds ${storage.byteLength} B, its type needs ${bytesOf(v.type)}`,
      );
    memory.write(base + offset, storage);
  }
  return { base, release: () => memory.release(base, bytes) };
}

/** Resolves every value to its location from the plan. */
export function locator(
  graph: Graph,
  plan: MemoryPlan,
  frame: FrameLayout,
  statics: Map<Value, number>,
  direct: ReadonlyMap<Value, number>,
): (v: Value) => Location {
  const varIndex = new Map(graph.params.filter((p) => p.kind === 'var').map((p, i) => [p.value, i]));
  const argIndex = new Map(graph.params.filter((p) => p.kind === 'arg').map((p, i) => [p.value, i]));
  const locate = (v: Value): Location => {
    if (argIndex.has(v)) return { kind: 'arg', index: argIndex.get(v)! };
    if (varIndex.has(v)) return { kind: 'var', index: varIndex.get(v)! };
    if (direct.has(v)) return { kind: 'out', index: direct.get(v)! };
    if (statics.has(v)) return { kind: 'static', offset: statics.get(v)! };
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

export interface Copy {
  from: Location;
  to: Location;
  bytes: number;
}

/** The variable param whose block holds `v` (through in-place reuse and views), or null. */
export function rootVar(plan: MemoryPlan, v: Value): Value | null {
  let cur: Value | undefined = v;
  while (cur) {
    if (!plan.slots.has(cur) && !plan.aliases.has(cur) && !plan.inPlace.has(cur)) return cur;
    cur = plan.aliases.get(cur) ?? plan.inPlace.get(cur);
  }
  return null;
}

export function storageIsVar(plan: MemoryPlan, v: Value, target: Param): boolean {
  return rootVar(plan, v) === target.value;
}

/** The values staged before the end-of-call copies, and the updates that need a copy. */
export function planCopies(
  graph: Graph,
  plan: MemoryPlan,
): { stagedValues: Value[]; offsets: Map<Value, number>; stagingBytes: number; updates: Graph['updates'] } {
  const updates = graph.updates.filter(
    (u) => !(plan.variablesInPlace.has(u.target) && storageIsVar(plan, u.value, u.target)),
  );
  // Sources that live in an updated variable's block are staged first, so no copy reads a block
  // another copy already overwrote (a swap, or a result that is the old value).
  const updatedVars = new Set(graph.updates.map((u) => u.target.value));
  const needsStaging = (v: Value): boolean => rootVar(plan, v) !== null && updatedVars.has(rootVar(plan, v)!);
  const stagedValues = [...new Set([...updates.map((u) => u.value), ...graph.results].filter(needsStaging))];
  const offsets = new Map<Value, number>();
  let stagingBytes = 0;
  for (const v of stagedValues) {
    offsets.set(v, stagingBytes);
    stagingBytes += align(bytesOf(v.type));
  }
  return { stagedValues, offsets, stagingBytes, updates };
}
