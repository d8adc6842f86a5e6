/**
 * @file What a workload is: a Kiln program (a function and its arguments, built fresh for each
 * mode so training steps never share variables), optionally the same computation written with
 * TensorFlow.js and with jax-js for the peer columns, and what the correctness check compares.
 */
import type * as jaxjs from '@jax-js/jax';
import type * as tfjs from '@tensorflow/tfjs-core';

/** Kiln's own ways of running a program (`wasm` on one thread; see ThreadedMode). */
export const KILN_MODES = ['eager', 'interpreter', 'wasm'] as const;
/** TensorFlow.js backends run as peers. */
export const TFJS_MODES = ['tfjs-wasm', 'tfjs-cpu'] as const;
/** Every peer: the TensorFlow.js backends and jax-js (its jit on its wasm device). */
export const PEER_MODES = [...TFJS_MODES, 'jax-js'] as const;
/** The modes `--modes` chooses from. */
export const MODES = [...KILN_MODES, ...PEER_MODES] as const;

/** The Wasm backend on N > 1 threads (`wasm` itself is one thread): a row of its own per count. */
export type ThreadedMode = `wasm-${number}t`;
export type BaseMode = (typeof MODES)[number];
export type KilnMode = (typeof KILN_MODES)[number] | ThreadedMode;
export type TfjsMode = (typeof TFJS_MODES)[number];
export type PeerMode = (typeof PEER_MODES)[number];
export type Mode = BaseMode | ThreadedMode;

export type Tf = typeof tfjs;
export type Jax = typeof jaxjs;

const THREADED = /^wasm-([1-9]\d*)t$/;

/** The Wasm mode for `threads` threads: `wasm` for one, else `wasm-<n>t`. */
export function wasmMode(threads: number): 'wasm' | ThreadedMode {
  return threads === 1 ? 'wasm' : `wasm-${threads}t`;
}

/** Threads of a Wasm mode (1 for `wasm`), or null for every other mode. */
export function threadsOf(mode: Mode): number | null {
  if (mode === 'wasm') return 1;
  const match = THREADED.exec(mode);
  return match ? Number(match[1]) : null;
}

/** The mode without its thread count: `wasm-2t` is `wasm`. */
export function baseMode(mode: Mode): BaseMode {
  return threadsOf(mode) === null ? (mode as BaseMode) : 'wasm';
}

/** A mode name as a results file or a command line spells it, or null when it is none. */
export function parseMode(name: string): Mode | null {
  if ((MODES as readonly string[]).includes(name)) return name as Mode;
  const match = THREADED.exec(name);
  return match && match[1] !== '1' ? (name as ThreadedMode) : null;
}

export function isKilnMode(mode: Mode): mode is KilnMode {
  return (KILN_MODES as readonly string[]).includes(baseMode(mode));
}

export function isTfjsMode(mode: Mode): mode is TfjsMode {
  return (TFJS_MODES as readonly string[]).includes(mode);
}

/** A function and its arguments; `read` flattens its output to the numbers the check compares. */
export interface KilnProgram {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly fn: (...args: any[]) => unknown;
  readonly args: readonly unknown[];
  read(output: unknown): Float32Array;
  /**
   * What a timed call does with its result. Absent: nothing (it is dropped). `read`: reads it into
   * JavaScript and disposes it at the next call, as the peers read and dispose theirs. `chain`: passes it as the first argument of the next call, the way
   * one traced call feeds the next (results older than that are disposed); every 8th call starts
   * the chain again from the first argument, so the values stay like the input's.
   */
  readonly timedUse?: 'read' | 'chain';
}

/** The same computation in a peer; `run` returns its outputs already read back to JS. */
export interface PeerProgram {
  run(): Float32Array;
  dispose(): void;
}

export interface Tolerance {
  rtol: number;
  atol: number;
}

export interface Workload {
  /** Short stable name, used on the command line, in baselines and in the chart. */
  readonly id: string;
  /** What it computes, for the table. */
  readonly title: string;
  /** Part of `pnpm bench:quick`. */
  readonly quick: boolean;
  /** Modes the quick suite leaves out for this workload (too slow to time within its budget). */
  readonly quickSkips?: readonly Mode[];
  /** Calls before the correctness check reads the result (a training step: a few steps). */
  readonly checkCalls: number;
  /** Floating-point operations per call, for a GFLOP/s note. */
  readonly flops?: number;
  /** A fresh program: new inputs and variables, built deterministically from seeds. */
  kiln(): KilnProgram;
  /** The same workload in TensorFlow.js, or undefined when the peer cannot run it. */
  tfjs?(tf: Tf): PeerProgram;
  /** The same workload in jax-js (under its jit), or undefined when it cannot run it. */
  jax?(jax: Jax): PeerProgram;
  /** Why the peer columns are empty, or what differs in the peers' versions. */
  readonly peerNote?: string;
  /** Peers that cannot run the workload (a kernel or op the library lacks), with the reason. */
  readonly unsupportedPeers?: Partial<Readonly<Record<PeerMode, string>>>;
}
