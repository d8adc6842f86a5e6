/**
 * @file What a compiled module imports from JavaScript: the shared memory, the scalar helpers,
 * `print` (which prints a tensor from memory on every call) and `fail` (which records why a
 * kernel is about to trap, so the call can throw a clear error instead).
 */
import { makeTensor, sizeOf, type SourceLocation } from '@kiln-jit/core';
import type { Node } from '@kiln-jit/tracer';
import type { WasmMemory } from './memory.ts';
import { scalarHelpers } from './scalar-helpers.ts';

export interface IndexFailure {
  op: string;
  /** The user's line that made the failing node, when known. */
  loc: SourceLocation | null;
  index: number;
  limit: number;
}

/** The nodes behind the module's print indices and fail codes. */
export interface ImportedNodes {
  printed: readonly Node[];
  failing: readonly Node[];
}

export function moduleImports(memory: WasmMemory, nodes: ImportedNodes) {
  let failure: IndexFailure | null = null;
  return {
    kiln: {
      memory: memory.memory,
      ...scalarHelpers,
      fail: (code: number, index: number, limit: number): void => {
        const node = nodes.failing[code]!;
        failure = { op: node.op, loc: node.loc, index, limit };
      },
      print: (index: number, address: number): void => {
        const node = nodes.printed[index]!;
        const t = node.inputs[0]!.type;
        const x = makeTensor(t.shape, t.dtype, memory.read(address, t.dtype, sizeOf(t.shape)));
        const label = node.attrs.label as string;
        console.log(label ? `${label}: ${x.toString()}` : x.toString());
      },
    },
    /** The failure recorded during the last call, if any. */
    failure: (): IndexFailure | null => failure,
    clearFailure: (): void => {
      failure = null;
    },
  };
}
