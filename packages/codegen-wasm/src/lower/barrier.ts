/**
 * @file The barrier between a split kernel and what follows it, in WebAssembly so a call's
 * threads never leave the module between kernels. Three i32s at `barrier`: arrivals, the
 * generation, and an abort flag. The last thread to arrive resets arrivals, bumps the generation
 * and wakes the sleepers; the others spin a little (the usual wait is a few microseconds), then
 * sleep in memory.atomic.wait32. A thread that fails sets the abort flag and bumps the
 * generation (runtime/thread-pool.ts), and every thread in or entering a barrier then traps,
 * so no thread waits for one that will not come. A browser's main thread may not sleep: where
 * the SPIN_ONLY word is set, thread 0 polls without end instead.
 */
import type { ExpressionRef } from '../binaryen.ts';
import { FunctionBuilder } from '../function-builder.ts';
import type { ModuleContext } from './module-context.ts';

export const BARRIER_FUNCTION = 'kiln_barrier';
/** Byte offsets of the barrier's words. */
export const BARRIER_ARRIVED = 0;
export const BARRIER_GENERATION = 4;
export const BARRIER_ABORT = 8;
export const BARRIER_SPIN_ONLY = 12;
export const BARRIER_BYTES = 64;
/**
 * Polls of the generation before sleeping (~100-300 µs): longer than the serial kernels between
 * two split ones in a training step, so the workers are awake when the next one starts (with
 * 2^13 polls they slept and woke ~10 times per MLP step: 0.74 of the 1-thread time, now 0.62).
 */
const SPINS = 1 << 16;
/** Sleeps are bounded (1 ms), so an abort is seen even if its wake-up came first. */
const WAIT_NS = 1_000_000n;

/** Adds kiln_barrier(barrier, threads, thread) to the module. */
export function addBarrier(ctx: ModuleContext): void {
  const b = new FunctionBuilder(ctx, 3);
  const { mod } = b;
  const i32 = b.binaryen.i32;
  const at = (): ExpressionRef => b.param(0);
  const threads = (): ExpressionRef => b.param(1);
  const [generation, spins] = [b.local(i32), b.local(i32)];
  const load = (offset: number): ExpressionRef => mod.i32.atomic.load(offset, at());
  const aborted = (): ExpressionRef => load(BARRIER_ABORT);
  const exit = 'barrier_done';
  const poll = 'barrier_poll';
  const waitForGeneration = mod.block(exit, [
    spins.set(b.i32(0)),
    mod.loop(
      poll,
      mod.block(null, [
        mod.br(exit, mod.i32.ne(load(BARRIER_GENERATION), generation.get())),
        mod.br(exit, aborted()),
        mod.if(
          mod.i32.or(
            mod.i32.lt_u(spins.get(), b.i32(SPINS)),
            mod.i32.and(mod.i32.eqz(b.param(2)), load(BARRIER_SPIN_ONLY)),
          ),
          b.increment(spins, 1),
          mod.drop(
            mod.memory.atomic.wait32(
              b.addr(at(), BARRIER_GENERATION),
              generation.get(),
              (mod.i64.const as unknown as (value: bigint) => ExpressionRef)(WAIT_NS),
            ),
          ),
        ),
        mod.br(poll),
      ]),
    ),
  ]);
  b.finish(BARRIER_FUNCTION, [
    mod.if(aborted(), mod.unreachable()),
    generation.set(load(BARRIER_GENERATION)),
    mod.if(
      mod.i32.eq(mod.i32.atomic.rmw.add(BARRIER_ARRIVED, at(), b.i32(1)), mod.i32.sub(threads(), b.i32(1))),
      mod.block(null, [
        mod.i32.atomic.store(BARRIER_ARRIVED, at(), b.i32(0)),
        mod.drop(mod.i32.atomic.rmw.add(BARRIER_GENERATION, at(), b.i32(1))),
        mod.drop(mod.memory.atomic.notify(b.addr(at(), BARRIER_GENERATION), threads())),
      ]),
      waitForGeneration,
    ),
    mod.if(aborted(), mod.unreachable()),
  ]);
}
