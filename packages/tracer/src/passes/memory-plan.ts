/**
 * @file Memory planning: gives every intermediate value a static byte range in one arena, so a
 * backend needs no allocation at run time. From liveness (a value lives from its node to its last
 * use; results and updates to the end) it
 *   - lets a node's output take over the buffer of an input that dies at that node, where the
 *     backend's kernels allow it (its MemoryPolicy says which inputs),
 *   - lets a reshape share its input's bytes,
 *   - writes a variable's update straight into the variable's storage when the old value is not
 *     read afterwards and no node that may fail midway runs after it, since a failed call must
 *     leave every variable as it was,
 *   - packs the remaining buffers so no two that are live at the same time overlap.
 * The plan is attached to the graph as `annotations.memoryPlan`; the graph itself is unchanged.
 */
import { BYTES_PER_ELEMENT, checksIndices, isElementwise, sizeOf } from '@kiln-jit/core';
import { CONSTANT_OP, withGraph, type Graph, type Node, type Param, type Value } from '../ir/graph.ts';
import type { PassContext } from './manager.ts';

/** Byte ranges are aligned for SIMD loads. */
export const ALIGNMENT = 16;

export interface Slot {
  readonly offset: number;
  readonly bytes: number;
}

/** One arena buffer: the values that share it and the node range during which it is in use. */
export interface PlannedBuffer {
  readonly offset: number;
  readonly bytes: number;
  readonly start: number;
  readonly end: number;
  readonly values: readonly Value[];
}

const bytesOf = (v: Value): number => sizeOf(v.type.shape) * BYTES_PER_ELEMENT[v.type.dtype];
const align = (n: number): number => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/**
 * What a backend's kernels allow, which only the backend knows: which inputs a node's output may
 * overwrite, and which nodes may stop a call partway. A backend hands its policy to the pipeline
 * (Backend.memoryPolicy); the plan records the policy's name.
 */
export interface MemoryPolicy {
  readonly name: string;
  /** Inputs whose storage `node`'s output may take: the kernel reads none of their elements after writing it. */
  inPlaceInputs(node: Node): readonly Value[];
  /**
   * Whether running `node` may fail partway through a call (then no variable is overwritten before
   * it); the planner also asks it of each node of a fused body.
   */
  mayFail(node: Node): boolean;
}

/** Inputs of `node` with exactly its output's shape and size: the candidates for in-place storage. */
export function sameShapeInputs(node: Node): readonly Value[] {
  const out = node.output;
  return node.inputs.filter((v) => v.type.shape.join() === out.type.shape.join() && bytesOf(v) === bytesOf(out));
}

/**
 * The policy of a backend that says nothing: plain elementwise ops may overwrite a same-shape
 * input (every backend reads an element before writing its index); fused nodes may not; ops that
 * check their input values (gather, scatterAdd) may fail.
 */
export const defaultMemoryPolicy: MemoryPolicy = {
  name: 'default',
  inPlaceInputs: (node) => (isElementwise(node.op) ? sameShapeInputs(node) : []),
  mayFail: (node) => checksIndices(node.op),
};

export interface MemoryPlan {
  /** The name of the MemoryPolicy the plan was made with. */
  readonly policy: string;
  readonly buffers: readonly PlannedBuffer[];
  /** Arena byte range of each intermediate value (values sharing a buffer share the range). */
  readonly slots: ReadonlyMap<Value, Slot>;
  /** Values that reuse an input's storage: output -> the input it overwrites. */
  readonly inPlace: ReadonlyMap<Value, Value>;
  /** Reshape outputs that are views of their input's bytes: output -> input. */
  readonly aliases: ReadonlyMap<Value, Value>;
  /** Variables whose update is computed directly into their own storage. */
  readonly variablesInPlace: ReadonlySet<Param>;
  /** Node index range [first, last] during which each planned value's bytes must hold it. */
  readonly lifetimes: ReadonlyMap<Value, readonly [number, number]>;
  /** Arena size: the peak of simultaneously live intermediate bytes under this packing. */
  readonly peakBytes: number;
  /** What the intermediates would take with a buffer each. */
  readonly totalBytes: number;
}

/** Whether `node`, or a node of its fused body, may stop a call midway under `policy`. */
function mayFail(policy: MemoryPolicy, node: Node): boolean {
  return policy.mayFail(node) || (node.body?.nodes.some((nd) => mayFail(policy, nd)) ?? false);
}

/** Union-find over values that share storage. */
class Storage {
  private readonly parent = new Map<Value, Value>();
  root(v: Value): Value {
    let r = v;
    while (this.parent.has(r)) r = this.parent.get(r)!;
    return r;
  }
  join(child: Value, owner: Value): void {
    this.parent.set(this.root(child), this.root(owner));
  }
}

/** Plans `graph`'s memory under the target backend's policy (see the file comment). */
export function planMemory(
  graph: Graph,
  { memoryPolicy: policy }: PassContext = { memoryPolicy: defaultMemoryPolicy },
): Graph {
  const n = graph.nodes.length;
  const lastUse = new Map<Value, number>();
  graph.nodes.forEach((node, i) => node.inputs.forEach((v) => lastUse.set(v, i)));
  const updateOf = new Map<Value, Param>(graph.updates.map((u) => [u.value, u.target]));
  for (const v of [...graph.results, ...graph.updates.map((u) => u.value)]) lastUse.set(v, n);

  const storage = new Storage();
  // Params and constants live outside the arena and are never overwritten (but a variable's own update).
  const external = new Set<Value>([
    ...graph.params.map((p) => p.value),
    ...graph.nodes.filter((nd) => nd.op === CONSTANT_OP).map((nd) => nd.output),
  ]);
  // A variable may be overwritten only after the last node that may stop the call.
  const lastFailing = graph.nodes.findLastIndex((nd) => mayFail(policy, nd));
  const varOfParamValue = new Map<Value, Param>(graph.params.filter((p) => p.kind === 'var').map((p) => [p.value, p]));
  const inPlace = new Map<Value, Value>();
  const aliases = new Map<Value, Value>();
  const variablesInPlace = new Set<Param>();
  const storageEnd = new Map<Value, number>(); // per storage root: the last index anything in it is read
  const endOf = (v: Value): number => storageEnd.get(storage.root(v)) ?? lastUse.get(v) ?? -1;

  graph.nodes.forEach((node, i) => {
    const out = node.output;
    if (node.op === CONSTANT_OP) return;
    if (node.op === 'reshape') {
      aliases.set(out, node.inputs[0]!);
      storage.join(out, node.inputs[0]!);
      storageEnd.set(storage.root(out), Math.max(endOf(node.inputs[0]!), lastUse.get(out) ?? i));
      return;
    }
    for (const v of policy.inPlaceInputs(node)) {
      if (endOf(v) !== i) continue; // v (or a view of it) is still needed later
      const root = storage.root(v);
      const variable = i > lastFailing ? varOfParamValue.get(root) : undefined;
      if (variable && updateOf.get(out) !== variable) continue; // only the variable's own update may overwrite it
      if (external.has(root) && !variable) continue;
      if (variable) variablesInPlace.add(variable);
      inPlace.set(out, v);
      storage.join(out, v);
      break;
    }
    storageEnd.set(storage.root(out), Math.max(endOf(out), lastUse.get(out) ?? i));
  });

  // Buffers: one per storage root that is not external, spanning all its values' lifetimes.
  const buffers = new Map<Value, { start: number; end: number; bytes: number; values: Value[] }>();
  const lifetimes = new Map<Value, readonly [number, number]>();
  let totalBytes = 0;
  graph.nodes.forEach((node, i) => {
    if (node.op === CONSTANT_OP) return;
    const v = node.output;
    const root = storage.root(v);
    if (external.has(root)) return;
    const end = Math.max(lastUse.get(v) ?? i, i);
    lifetimes.set(v, [i, end]);
    if (!aliases.has(v)) totalBytes += bytesOf(v);
    const b = buffers.get(root) ?? { start: i, end, bytes: 0, values: [] };
    b.start = Math.min(b.start, i);
    b.end = Math.max(b.end, end, storageEnd.get(root) ?? end);
    b.bytes = Math.max(b.bytes, align(bytesOf(v)));
    b.values.push(v);
    buffers.set(root, b);
  });

  // Greedy packing: biggest first, each at the lowest offset clear of every placed buffer it meets in time.
  const placed: PlannedBuffer[] = [];
  const slots = new Map<Value, Slot>();
  let peakBytes = 0;
  for (const b of [...buffers.values()].sort((x, y) => y.bytes - x.bytes || x.start - y.start)) {
    const clashes = placed.filter((p) => p.start <= b.end && b.start <= p.end).sort((x, y) => x.offset - y.offset);
    let offset = 0;
    for (const p of clashes) {
      if (offset + b.bytes <= p.offset) break;
      offset = Math.max(offset, p.offset + p.bytes);
    }
    placed.push({ start: b.start, end: b.end, offset, bytes: b.bytes, values: b.values });
    peakBytes = Math.max(peakBytes, offset + b.bytes);
    for (const v of b.values) slots.set(v, { offset, bytes: bytesOf(v) });
  }

  const plan: MemoryPlan = {
    policy: policy.name,
    buffers: placed,
    slots,
    inPlace,
    aliases,
    variablesInPlace,
    lifetimes,
    peakBytes,
    totalBytes,
  };
  return withGraph(graph, {
    annotations: { ...graph.annotations, memoryPlan: plan, nodeNotes: planNotes(graph, plan) },
  });
}

/** The memory plan attached to a planned graph, if any. */
export function memoryPlanOf(graph: Graph): MemoryPlan | undefined {
  return graph.annotations.memoryPlan as MemoryPlan | undefined;
}

/** One comment per node saying where its value lives, for the printed `planned` stage. */
function planNotes(graph: Graph, plan: MemoryPlan): Map<Node, string> {
  const notes = new Map<Node, string>();
  const names = new Map<Value, string>(graph.params.map((p) => [p.value, `%${p.name}`]));
  graph.nodes.forEach((node, i) => names.set(node.output, `%${i}`));
  for (const node of graph.nodes) {
    const v = node.output;
    const slot = plan.slots.get(v);
    const parts: string[] = [];
    if (plan.aliases.has(v)) parts.push(`view of ${names.get(plan.aliases.get(v)!)}`);
    if (plan.inPlace.has(v)) parts.push(`in place of ${names.get(plan.inPlace.get(v)!)}`);
    if (slot) parts.push(`@${slot.offset} ${slot.bytes}B`);
    else if (node.op !== CONSTANT_OP && !plan.aliases.has(v)) parts.push('in variable storage');
    if (parts.length) notes.set(node, parts.join(', '));
  }
  return notes;
}
