/**
 * @file The contract between the entry function and the kernels: every kernel is a function of
 * i32 byte addresses (output, then inputs, then a scratch block), with no result. A kernel that
 * threads may share takes two more i32s, the range [lo, hi) of its outermost loop to run.
 */
import type { Node } from '@kiln-jit/tracer';
import type { ModuleContext } from './module-context.ts';

export interface Kernel {
  /** Function to call as name(out, ...inputs, scratch). */
  name: string;
  /** Bytes of scratch the kernel needs at the scratch address. */
  scratchBytes: number;
  /** Present when the kernel takes (lo, hi) after scratch: threads run disjoint ranges of it. */
  split?: KernelSplit;
}

export interface KernelSplit {
  /** The full range is [0, extent): rows, row groups or chunks of the kernel's outermost loop. */
  extent: number;
}

/** Lowers one node to a kernel added to the module. */
export type NodeLowering = (ctx: ModuleContext, node: Node) => Kernel;

/** A node shape or pattern a specialised lowering cannot handle; the dispatcher falls back. */
export class UnsupportedLowering extends Error {}
