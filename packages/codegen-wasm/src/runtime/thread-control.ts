/**
 * @file The layout of the control block a call's threads share (Int32 indices): the call
 * counter workers wait on, what to run, each thread's scratch and the entry's addresses, and
 * the last call each worker finished.
 */
import { MAX_THREADS } from './thread-settings.ts';

export const CONTROL = {
  call: 0,
  threads: 2,
  module: 3,
  barrier: 4,
  argCount: 5,
  scratch: 8,
  done: 8 + MAX_THREADS,
  /** Per worker: STARTING, IDLE, CLAIMED (for the call being announced) or GONE (it ended). */
  state: 8 + 2 * MAX_THREADS,
  args: 8 + 3 * MAX_THREADS,
  GONE: 0,
  IDLE: 1,
  CLAIMED: 2,
  /** A worker not yet running (it sets IDLE itself once it is). */
  STARTING: 3,
  /** A worker with no call for this long ends (its thread and memory go with it). */
  idleMs: 2000,
} as const;

/** Entry addresses a call can pass (frame, constants, variables, arguments, results). */
export const MAX_ENTRY_ADDRESSES = 1 << 14;
export const CONTROL_WORDS = CONTROL.args + MAX_ENTRY_ADDRESSES;
