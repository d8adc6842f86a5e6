/**
 * @file The module's entry functions. `entry` runs every kernel on the calling thread.
 * `entry_mt(thread, threads, scratch, barrier, ...entry's params)` is what every thread of a call
 * runs, the caller as thread 0 and each worker with its own scratch: a split kernel runs the
 * thread's share of its range, the others run on thread 0 alone, with a barrier where the threads
 * change hands. Each thread's share is fixed by (thread, threads), and a split never divides one
 * output's sum, so the results do not depend on the thread count.
 */
import { nodeOutputs, type Graph, type Node, type Value } from '@kiln-jit/tracer';
import type { ExpressionRef } from './binaryen.ts';
import { FunctionBuilder, type Local } from './function-builder.ts';
import type { Kernel } from './lower/kernel-types.ts';
import { addBarrier, BARRIER_FUNCTION } from './lower/barrier.ts';
import type { ModuleContext } from './lower/module-context.ts';
import type { Copy, FrameLayout, Location } from './storage.ts';

export interface EntryKernel extends Kernel {
  /** Split across threads in entry_mt (a split kernel that calls JavaScript is not). */
  parallel: boolean;
}

export interface EntryParts {
  graph: Graph;
  kernels: Map<Node, EntryKernel>;
  locate: (v: Value) => Location;
  frame: FrameLayout;
  copies: Copy[];
  varCount: number;
  argCount: number;
}

type Address = (loc: Location) => ExpressionRef;

/** The kernels in call order (the map's order). */
export function kernelOrder(e: EntryParts): [Node, EntryKernel][] {
  return [...e.kernels];
}

/** The (lo, hi) a split kernel takes to run its whole range; nothing for an unsplit one. */
export function fullRange(b: FunctionBuilder, kernel: Kernel): ExpressionRef[] {
  return kernel.split ? [b.i32(0), b.i32(kernel.split.extent)] : [];
}

/** Addresses from entry's params (frame, constants, vars, args, outs), which start at `first`. */
export function entryAddresses(b: FunctionBuilder, e: EntryParts, first: number): Address {
  const start = { var: first + 2, arg: first + 2 + e.varCount, out: first + 2 + e.varCount + e.argCount };
  return (loc) =>
    loc.kind === 'frame'
      ? b.addr(b.param(first), loc.offset)
      : loc.kind === 'static'
        ? b.addr(b.param(first + 1), loc.offset)
        : b.param(start[loc.kind] + loc.index);
}

export function copyStatements(b: FunctionBuilder, e: EntryParts, address: Address): ExpressionRef[] {
  return e.copies.map((c) => b.mod.memory.copy(address(c.to), address(c.from), b.i32(c.bytes)));
}

/** entry_mt: see the file comment. Thread 0 uses the frame's scratch. */
export function addParallelEntry(ctx: ModuleContext, e: EntryParts): void {
  addBarrier(ctx);
  const fixed = 4; // thread, threads, scratch, barrier
  const b = new FunctionBuilder(ctx, fixed + 2 + e.varCount + e.argCount + e.graph.results.length);
  const { mod } = b;
  const i32 = b.binaryen.i32;
  const thread = (): ExpressionRef => b.param(0);
  const threads = (): ExpressionRef => b.param(1);
  const address = entryAddresses(b, e, fixed);
  const scratchLocal = b.local(i32);
  const scratch = (): ExpressionRef => scratchLocal.get();
  const onMain = (stmt: ExpressionRef): ExpressionRef => mod.if(mod.i32.eqz(thread()), stmt);
  const barrier = (): ExpressionRef => mod.call(BARRIER_FUNCTION, [b.param(3), threads(), thread()], b.binaryen.none);
  const [lo, hi] = [b.local(i32), b.local(i32)];
  const stmts: ExpressionRef[] = [
    scratchLocal.set(mod.select(mod.i32.eqz(thread()), b.addr(b.param(fixed), e.frame.scratch), b.param(2))),
  ];
  let mainRanSinceBarrier = false;
  for (const [node, kernel] of kernelOrder(e)) {
    const call = (range: ExpressionRef[]): ExpressionRef => kernelCall(b, node, kernel, e, address, scratch, range);
    if (!kernel.parallel) {
      stmts.push(onMain(call(fullRange(b, kernel))));
      mainRanSinceBarrier = true;
      continue;
    }
    // What thread 0 wrote alone must be visible before the others read it.
    if (mainRanSinceBarrier) stmts.push(barrier());
    stmts.push(...shareOf(b, kernel.split!.extent, thread, threads, lo, hi));
    stmts.push(mod.if(mod.i32.lt_s(lo.get(), hi.get()), call([lo.get(), hi.get()])));
    // Later kernels may read this one's outputs, or reuse the memory it reads.
    stmts.push(barrier());
    mainRanSinceBarrier = false;
  }
  stmts.push(...copyStatements(b, e, address).map(onMain));
  b.finish('entry_mt', stmts);
  mod.addFunctionExport('entry_mt', 'entry_mt');
}

/** Calls `kernel` on its node's operands, then scratch and the range, if any. */
export function kernelCall(
  b: FunctionBuilder,
  node: Node,
  kernel: Kernel,
  e: EntryParts,
  address: Address,
  scratch: () => ExpressionRef,
  range: ExpressionRef[],
): ExpressionRef {
  const at = (v: Value): ExpressionRef => address(e.locate(v));
  return b.mod.call(
    kernel.name,
    [...nodeOutputs(node).map(at), ...node.inputs.map(at), scratch(), ...range],
    b.binaryen.none,
  );
}

/**
 * Sets lo, hi to this thread's share of [0, extent): extent / threads each, the first
 * extent % threads threads one more, so shares differ by at most one part.
 */
function shareOf(
  b: FunctionBuilder,
  extent: number,
  thread: () => ExpressionRef,
  threads: () => ExpressionRef,
  lo: Local,
  hi: Local,
): ExpressionRef[] {
  const { mod } = b;
  const quotient = (): ExpressionRef => mod.i32.div_u(b.i32(extent), threads());
  const remainder = (): ExpressionRef => mod.i32.rem_u(b.i32(extent), threads());
  const minU = (x: () => ExpressionRef, y: () => ExpressionRef): ExpressionRef =>
    mod.select(mod.i32.lt_u(x(), y()), x(), y());
  return [
    lo.set(mod.i32.add(mod.i32.mul(quotient(), thread()), minU(thread, remainder))),
    hi.set(mod.i32.add(mod.i32.add(lo.get(), quotient()), mod.i32.lt_u(thread(), remainder()))),
  ];
}
