/**
 * @file What a workload is: a Kiln program (a function and its arguments, built fresh for each
 * mode so training steps never share variables), optionally the same computation written with
 * TensorFlow.js for the peer columns, and what the correctness check compares.
 */
import type * as tfjs from '@tensorflow/tfjs-core';

/** Kiln's own ways of running a program. */
export const KILN_MODES = ['eager', 'interpreter', 'wasm'] as const;
/** TensorFlow.js backends run as peers. */
export const PEER_MODES = ['tfjs-wasm', 'tfjs-cpu'] as const;
export const MODES = [...KILN_MODES, ...PEER_MODES] as const;

export type KilnMode = (typeof KILN_MODES)[number];
export type PeerMode = (typeof PEER_MODES)[number];
export type Mode = (typeof MODES)[number];

export type Tf = typeof tfjs;

export function isKilnMode(mode: Mode): mode is KilnMode {
  return (KILN_MODES as readonly string[]).includes(mode);
}

/** A function and its arguments; `read` flattens its output to the numbers the check compares. */
export interface KilnProgram {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly fn: (...args: any[]) => unknown;
  readonly args: readonly unknown[];
  read(output: unknown): Float32Array;
  /**
   * What a timed call does with its result. Absent: nothing (it is dropped). `read`: reads it into
   * JavaScript, as the peers do. `chain`: passes it as the first argument of the next call, the way
   * one traced call feeds the next (results older than that are disposed).
   */
  readonly timedUse?: 'read' | 'chain';
}

/** The same computation with TensorFlow.js; `run` returns its outputs already read back to JS. */
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
  /** Why the peer column is empty, or what differs in the peer's version. */
  readonly peerNote?: string;
  /** Peers that cannot run the tfjs version (a kernel the backend lacks), with the reason. */
  readonly unsupportedPeers?: Partial<Readonly<Record<PeerMode, string>>>;
}
