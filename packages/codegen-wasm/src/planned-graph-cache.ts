/**
 * @file The planned-graph cache: the default pipeline's output for a traced graph, kept in the
 * persistent cache (`.kplan` entries beside the modules) under a hash of the traced graph as it
 * prints, so a new process whose trace prints as an earlier one's skips the passes (cold code:
 * ~5 ms of the MLP step's first call) and gets the module's cache key with it.
 *
 * Source locations are not in the key. The entry stores, for each planned node, the position of
 * the traced node whose location it carries, and takes the location from this trace's node, so
 * errors name the user's lines as they are now. A planned graph with a location no traced node
 * has is not kept.
 *
 * An entry is trusted only after the cache's checks (checksum, format, version, key) and after
 * the graph it holds was planned with this backend's policy and has the traced graph's params,
 * results and updates, node for node its locations: a damaged entry at worst costs running the
 * passes. It verified when it was kept, so it is not verified again (~0.5 ms of a first call)
 * but under KILN_VERIFY=each, which the test suite sets.
 */
import { shapesEqual, type SourceLocation, type TensorType } from '@kiln-jit/core';
import {
  memoryPlanOf,
  printGraph,
  verifiesEachPass,
  verifyGraph,
  type Graph,
  type PlannedGraphStore,
} from '@kiln-jit/tracer';
import { cacheDirectory, cacheKey, cacheKeyHead, loadEntry, storeEntry, type EntryKind } from './compile-cache.ts';
import { codegenOptions, type CodegenOptions } from './codegen-options.ts';
import { contentHash } from './content-hash.ts';
import { walkNodes } from './emit.ts';
import { wasmMemoryPolicy } from './memory-policy.ts';
import { plannedFromJson, plannedToJson, type PlannedJson } from './planned-graph-json.ts';

/** How the planned-graph cache fared in this process. */
export const planCounters = { hits: 0, misses: 0, rejected: 0, writes: 0 };

const PLANS: EntryKind = {
  ext: 'kplan',
  what: 'planned-graph cache entry',
  holds: 'planned graph',
  redo: 'running the passes',
  counters: planCounters,
};

interface PlanMeta {
  compileKey: string | null;
}

/** Planned graphs this process read from the cache (for `kiln inspect`). */
const loaded = new WeakSet<Graph>();

/** Whether `graph` was read from the planned-graph cache rather than made by the passes. */
export function plannedFromCache(graph: Graph): boolean {
  return loaded.has(graph);
}

/** Module cache keys known for planned graphs (computed when kept, or read with them). */
const compileKeys = new WeakMap<Graph, { key: string | null; options: string }>();

/** The module cache key of `graph` under `options`, when it is already known. */
export function knownCompileKey(graph: Graph, options: CodegenOptions): string | null | undefined {
  const known = compileKeys.get(graph);
  return known && known.options === JSON.stringify(options) ? known.key : undefined;
}

/** Entry keys of traced graphs: a miss's save reuses its load's (printing and hashing once). */
const planKeys = new WeakMap<Graph, { key: string | null; options: string }>();

/** The entry key of a traced graph: the module key's head (version, features, options) and its print. */
function planKey(traced: Graph): string | null {
  if (!cacheDirectory()) return null;
  const options = codegenOptions();
  const known = planKeys.get(traced);
  if (known && known.options === JSON.stringify(options)) return known.key;
  const head = cacheKeyHead(options);
  const key = head && contentHash(head, 'planned by the default pipeline', printGraph(traced));
  planKeys.set(traced, { key, options: JSON.stringify(options) });
  return key;
}

function save(traced: Graph, planned: Graph): void {
  const plan = memoryPlanOf(planned);
  const key = planKey(traced);
  if (!key || plan?.policy !== wasmMemoryPolicy.name) return;
  // Where each planned node's location comes from: the first traced node with that location.
  const positions = new Map<SourceLocation, number>();
  walkNodes(traced).forEach((n, i) => {
    if (n.loc && !positions.has(n.loc)) positions.set(n.loc, i);
  });
  let json: string;
  try {
    json = JSON.stringify(
      plannedToJson(planned, plan, (n) => {
        const at = n.loc ? positions.get(n.loc) : -1;
        if (at === undefined) throw new Error('a location no traced node has');
        return at;
      }),
    );
  } catch {
    return; // not kept: the next process runs the passes
  }
  const options = codegenOptions();
  const compileKey = cacheKey(planned, plan, options);
  compileKeys.set(planned, { key: compileKey, options: JSON.stringify(options) });
  storeEntry(PLANS, key, { compileKey } satisfies PlanMeta, new TextEncoder().encode(json));
}

function load(traced: Graph): Graph | null {
  const key = planKey(traced);
  if (!key) return null;
  return loadEntry<PlanMeta, Graph>(PLANS, key, (meta, payload) => {
    let planned: Graph;
    try {
      planned = restore(JSON.parse(new TextDecoder().decode(payload)) as PlannedJson, traced);
      // It verified when it was kept; the suite checks the round trip again.
      if (verifiesEachPass()) verifyGraph(planned);
    } catch (e) {
      return `its graph does not fit this trace (${(e as Error).message})`;
    }
    compileKeys.set(planned, { key: meta.compileKey, options: JSON.stringify(codegenOptions()) });
    loaded.add(planned);
    return planned;
  });
}

const sameType = (a: TensorType, b: TensorType): boolean => a.dtype === b.dtype && shapesEqual(a.shape, b.shape);

/** The stored graph, checked against `traced` and given its tensors and locations. */
function restore(json: PlannedJson, traced: Graph): Graph {
  const tracedParams = new Map(traced.params.map((p) => [p.name, p]));
  const tracedNodes = walkNodes(traced);
  const graph = plannedFromJson(
    json,
    (name) => tracedParams.get(name)?.data,
    (at) => {
      if (at !== -1 && !(Number.isInteger(at) && at >= 0 && at < tracedNodes.length)) {
        throw new Error('a location out of range');
      }
      return at === -1 ? null : tracedNodes[at]!.loc;
    },
  );
  if (memoryPlanOf(graph)!.policy !== wasmMemoryPolicy.name) throw new Error('planned with another policy');
  const sameParams =
    graph.params.length === traced.params.length &&
    graph.params.every((p) => {
      const own = tracedParams.get(p.name);
      return own && own.kind === p.kind && sameType(own.value.type, p.value.type);
    });
  const sameResults =
    graph.results.length === traced.results.length &&
    graph.results.every((v, i) => sameType(v.type, traced.results[i]!.type)) &&
    graph.updates.length === traced.updates.length &&
    graph.updates.every((u, i) => u.target.name === traced.updates[i]!.target.name);
  if (!sameParams || !sameResults) throw new Error('other params, results or updates');
  return graph;
}

/** The wasm backend's store of planned graphs (off wherever the compile cache is). */
export const plannedGraphCache: PlannedGraphStore = { load, save };
