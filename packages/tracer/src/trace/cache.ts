/**
 * @file The per-function trace cache: from a signature's key to what tracing it produced (the
 * stages, the variables it captured, how to rebuild the outputs, the compiled executable),
 * bounded by least-recent use. Dropping an entry frees what the backend compiled for it.
 */
import type { TreeDef, Variable } from '@kiln-jit/core';
import type { Executable } from '../backend.ts';
import type { Graph } from '../ir/graph.ts';
import type { Stage } from '../passes/manager.ts';
import type { Signature } from '../signature.ts';
import type { CacheEntryInfo } from './types.ts';

/** How one output leaf is rebuilt: from a graph result, or a static value kept from tracing. */
export type OutputSlot = { result: number } | { value: unknown };

export interface CacheEntry {
  readonly signature: Signature;
  readonly stages: Stage[];
  readonly graph: Graph;
  readonly variables: readonly Variable[];
  /** Positions, among all argument leaves, of the tensor leaves (in `arg` param order). */
  readonly tensorLeaves: readonly number[];
  readonly outputDef: TreeDef;
  readonly outputSlots: readonly OutputSlot[];
  readonly traceMs: number;
  executable: Executable | null;
  compileMs: number;
  calls: number;
}

export class TraceCache {
  private readonly entries = new Map<string, CacheEntry>();

  constructor(private readonly maxEntries: number) {}

  /** The entry for `key`, now the most recently used. */
  use(key: string): CacheEntry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key); // re-insert: the Map's order is the LRU order
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** The entry for `key`, leaving the LRU order alone (for introspection). */
  peek(key: string): CacheEntry | undefined {
    return this.entries.get(key);
  }

  insert(key: string, entry: CacheEntry): void {
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const [oldKey, old] = this.entries.entries().next().value as [string, CacheEntry];
      old.executable?.dispose?.();
      this.entries.delete(oldKey);
    }
  }

  /** Forgets every entry and frees what the backend compiled for it. */
  clear(): void {
    for (const entry of this.entries.values()) entry.executable?.dispose?.();
    this.entries.clear();
  }

  info(): CacheEntryInfo[] {
    return [...this.entries.values()].map((e) => ({
      signature: e.signature.leaves.map((l) => `${l.path}: ${l.text}`).join(', '),
      calls: e.calls,
      traceMs: e.traceMs,
      compiled: e.executable !== null,
      stages: e.stages.map((s) => s.name),
    }));
  }
}
