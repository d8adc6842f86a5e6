/**
 * @file Control-flow nodes as Wasm structured control flow: one kernel per cond/while/scan node
 * whose body is an `if` or a `loop` with `br_if` around calls of its regions' kernels, so a loop
 * never returns to JS between iterations. The node's output buffers hold the loop state (the
 * memory plan gives them storage of their own); region intermediates live in the kernel's
 * scratch, laid out by the memory planner run on each region (all regions share one area, as
 * at most one runs at a time); region constants are written to scratch when the kernel starts.
 * A state update that reads another state buffer (a swap) is staged through scratch.
 */
import {
  CONSTANT_OP,
  memoryPlanOf,
  nodeOutputs,
  planMemory,
  type Graph,
  type MemoryPlan,
  type Node,
  type RegionOp,
  type Value,
} from '@kiln-jit/tracer';
import type { ExpressionRef } from '../binaryen.ts';
import { FunctionBuilder } from '../function-builder.ts';
import { wasmMemoryPolicy } from '../memory-policy.ts';
import { align, bytesOf } from '../storage.ts';
import type { KernelBuilder, ModuleContext } from './module-context.ts';
import type { Kernel } from './kernel-types.ts';
import { lowerNode } from './lower-node.ts';

/** An address expression; called once per use (Binaryen expressions cannot be shared). */
type Address = () => ExpressionRef;

/** A region ready to be called: its kernels and where its values live in the control kernel's scratch. */
interface LoweredRegion {
  graph: Graph;
  plan: MemoryPlan;
  kernels: Map<Node, Kernel>;
  /** Scratch offsets of its constants. */
  constants: Map<Value, number>;
}

interface Layout {
  regions: LoweredRegion[];
  staging: number;
  constants: number;
  area: number;
  subScratch: number;
  bytes: number;
}

function lowerRegion(ctx: ModuleContext, region: Graph): LoweredRegion {
  const planned =
    memoryPlanOf(region)?.policy === wasmMemoryPolicy.name
      ? region
      : planMemory(region, { memoryPolicy: wasmMemoryPolicy });
  const plan = memoryPlanOf(planned)!;
  const kernels = new Map<Node, Kernel>();
  for (const n of planned.nodes) {
    if (n.op === CONSTANT_OP || (n.op === 'reshape' && plan.aliases.has(n.output))) continue;
    kernels.set(
      n,
      ctx.inside(() => lowerNode(ctx, n)),
    );
  }
  return { graph: planned, plan, kernels, constants: new Map() };
}

function layout(ctx: ModuleContext, node: Node, stagingBytes: number): Layout {
  const regions = node.regions!.map((r) => lowerRegion(ctx, r));
  const staging = 0;
  const constants = align(stagingBytes);
  let offset = constants;
  for (const r of regions) {
    for (const n of r.graph.nodes) {
      if (n.op !== CONSTANT_OP) continue;
      r.constants.set(n.output, offset);
      offset += align(bytesOf(n.output.type));
    }
  }
  const area = offset;
  const areaBytes = Math.max(0, ...regions.map((r) => align(r.plan.peakBytes)));
  const subScratch = area + areaBytes;
  const kernelScratch = Math.max(0, ...regions.flatMap((r) => [...r.kernels.values()].map((k) => k.scratchBytes)));
  return { regions, staging, constants, area, subScratch, bytes: subScratch + kernelScratch };
}

/** Stores of every region constant into its scratch slot. */
function writeConstants(b: KernelBuilder, lay: Layout, scratch: Address): ExpressionRef[] {
  const { mod } = b;
  const stmts: ExpressionRef[] = [];
  for (const r of lay.regions) {
    for (const n of r.graph.nodes) {
      if (n.op !== CONSTANT_OP) continue;
      const raw = n.attrs.value as number | readonly number[];
      const values = typeof raw === 'number' ? [raw] : raw;
      const base = r.constants.get(n.output)!;
      const { dtype } = n.output.type;
      values.forEach((v, i) => {
        const at = b.addr(scratch(), base + i * (dtype === 'bool' ? 1 : 4));
        if (dtype === 'f32') stmts.push(mod.f32.store(0, 4, at, mod.f32.const(v)));
        else if (dtype === 'i32') stmts.push(mod.i32.store(0, 4, at, b.i32(v)));
        else stmts.push(mod.i32.store8(0, 1, at, b.i32(v ? 1 : 0)));
      });
    }
  }
  return stmts;
}

/** Where each value of a region lives, given its params' addresses. */
function regionLocator(b: KernelBuilder, lay: Layout, r: LoweredRegion, params: readonly Address[], scratch: Address) {
  const paramIndex = new Map(r.graph.params.map((p, i) => [p.value, i]));
  const locate = (v: Value): ExpressionRef => {
    const p = paramIndex.get(v);
    if (p !== undefined) return params[p]!();
    const c = r.constants.get(v);
    if (c !== undefined) return b.addr(scratch(), c);
    const alias = r.plan.aliases.get(v) ?? (r.plan.slots.has(v) ? undefined : r.plan.inPlace.get(v));
    if (alias) return locate(alias);
    const slot = r.plan.slots.get(v);
    if (!slot) throw new Error(`codegen-wasm: region value #${v.id} has no storage`);
    return b.addr(scratch(), lay.area + slot.offset);
  };
  return locate;
}

/** The calls that run region `r` once; returns them and the address of each of its results. */
function runRegion(
  b: KernelBuilder,
  lay: Layout,
  r: LoweredRegion,
  params: readonly Address[],
  scratch: Address,
): { stmts: ExpressionRef[]; results: Address[] } {
  const locate = regionLocator(b, lay, r, params, scratch);
  const stmts = r.graph.nodes
    .filter((n) => r.kernels.has(n))
    .map((n) =>
      b.mod.call(
        r.kernels.get(n)!.name,
        [...nodeOutputs(n).map(locate), ...n.inputs.map(locate), b.addr(scratch(), lay.subScratch)],
        b.binaryen.none,
      ),
    );
  return { stmts, results: r.graph.results.map((v) => () => locate(v)) };
}

const copy = (b: KernelBuilder, to: ExpressionRef, from: ExpressionRef, bytes: number): ExpressionRef =>
  b.mod.memory.copy(to, from, b.i32(bytes));

/**
 * Copies `results` into the state buffers `state`; results that are region params (state the
 * update reads) go through staging first, so a swap reads old values only.
 */
function updateState(
  b: KernelBuilder,
  lay: Layout,
  r: LoweredRegion,
  results: readonly Address[],
  state: readonly Address[],
  types: readonly Value[],
  scratch: Address,
): ExpressionRef[] {
  const params = new Set(r.graph.params.map((p) => p.value));
  const n = state.length;
  const fromParam = r.graph.results.slice(0, n).map((v, i) => params.has(v) && r.graph.params[i]!.value !== v);
  const identity = r.graph.results.slice(0, n).map((v, i) => r.graph.params[i]!.value === v);
  const stmts: ExpressionRef[] = [];
  let offset = lay.staging;
  const staged: (number | null)[] = fromParam.map((f, i) => {
    if (!f) return null;
    const at = offset;
    offset += align(bytesOf(types[i]!.type));
    stmts.push(copy(b, b.addr(scratch(), at), results[i]!(), bytesOf(types[i]!.type)));
    return at;
  });
  for (let i = 0; i < n; i++) {
    if (identity[i]) continue;
    const from = staged[i] !== null ? b.addr(scratch(), staged[i]!) : results[i]!();
    stmts.push(copy(b, state[i]!(), from, bytesOf(types[i]!.type)));
  }
  return stmts;
}

const truthy = (b: KernelBuilder, at: ExpressionRef): ExpressionRef => b.mod.i32.load8_u(0, 1, at);

interface ControlFrame {
  b: KernelBuilder;
  lay: Layout;
  outs: Address[];
  ins: Address[];
  scratch: Address;
  label: (name: string) => string;
}

type ControlBody = (node: Node, f: ControlFrame) => ExpressionRef[];

const bodies: { readonly [K in RegionOp]: ControlBody } = {
  cond: (node, { b, lay, outs, ins, scratch }) => {
    const branch = (i: number): ExpressionRef => {
      const run = runRegion(b, lay, lay.regions[i]!, ins.slice(1), scratch);
      const outputs = nodeOutputs(node);
      const copies = run.results.map((from, j) => copy(b, outs[j]!(), from(), bytesOf(outputs[j]!.type)));
      return b.mod.block(null, [...run.stmts, ...copies]);
    };
    return [b.mod.if(truthy(b, ins[0]!()), branch(0), branch(1))];
  },
  while: (node, { b, lay, outs, ins, scratch, label }) => {
    const { mod } = b;
    const k = node.attrs.carried as number;
    const outputs = nodeOutputs(node);
    const params = [...outs, ...ins.slice(k)];
    const test = runRegion(b, lay, lay.regions[0]!, params, scratch);
    const body = runRegion(b, lay, lay.regions[1]!, params, scratch);
    const [exit, next] = [label('exit'), label('next')];
    return [
      ...outputs.map((v, j) => copy(b, outs[j]!(), ins[j]!(), bytesOf(v.type))),
      mod.block(exit, [
        mod.loop(
          next,
          mod.block(null, [
            ...test.stmts,
            mod.br(exit, mod.i32.eqz(truthy(b, test.results[0]!()))),
            ...body.stmts,
            ...updateState(b, lay, lay.regions[1]!, body.results, outs, outputs, scratch),
            mod.br(next),
          ]),
        ),
      ]),
    ];
  },
  scan: (node, { b, lay, outs, ins, scratch }) => {
    const { mod } = b;
    const k = node.attrs.carried as number;
    const m = node.attrs.sliced as number;
    const length = node.attrs.length as number;
    const outputs = nodeOutputs(node);
    const i = b.local();
    const t = b.local();
    const step =
      (base: Address, bytes: number): Address =>
      () =>
        mod.i32.add(base(), mod.i32.mul(t.get(), b.i32(bytes)));
    const xs = node.inputs.slice(k, k + m).map((x, j) => step(ins[k + j]!, bytesOf(x.type) / length));
    const body = runRegion(b, lay, lay.regions[0]!, [...outs.slice(0, k), ...xs, ...ins.slice(k + m)], scratch);
    const ys = outputs.slice(k).map((y, j) => {
      const bytes = bytesOf(y.type) / length;
      return copy(b, step(outs[k + j]!, bytes)(), body.results[k + j]!(), bytes);
    });
    const index = node.attrs.reverse ? mod.i32.sub(b.i32(length - 1), i.get()) : i.get();
    return [
      ...outputs.slice(0, k).map((v, j) => copy(b, outs[j]!(), ins[j]!(), bytesOf(v.type))),
      b.loop(i, b.i32(0), b.i32(length), 1, [
        t.set(index),
        ...body.stmts,
        ...ys,
        ...updateState(b, lay, lay.regions[0]!, body.results, outs.slice(0, k), outputs.slice(0, k), scratch),
      ]),
    ];
  },
};

/** The kernel of a control-flow node: name(...outputs, ...inputs, scratch). */
export function lowerControl(ctx: ModuleContext, node: Node): Kernel {
  const outputs = nodeOutputs(node);
  const stagingBytes = outputs.reduce((s, v) => s + align(bytesOf(v.type)), 0);
  const lay = layout(ctx, node, stagingBytes);
  const nOut = outputs.length;
  const b = new FunctionBuilder(ctx, nOut + node.inputs.length + 1);
  const address =
    (i: number): Address =>
    () =>
      b.param(i);
  const outs = outputs.map((_, i) => address(i));
  const ins = node.inputs.map((_, i) => address(nOut + i));
  const scratch = address(nOut + node.inputs.length);
  let labels = 0;
  const frame: ControlFrame = { b, lay, outs, ins, scratch, label: (name) => `${name}${labels++}` };
  const name = ctx.uniqueName(node.op);
  b.finish(name, [...writeConstants(b, lay, scratch), ...bodies[node.op as RegionOp](node, frame)]);
  return { name, scratchBytes: lay.bytes };
}
