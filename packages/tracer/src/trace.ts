/**
 * @file trace(): tf.function for TypeScript. A traced function keeps a cache from input
 * signature to compiled graph. A call with a new signature runs the JavaScript body once with
 * symbolic tensors (recording the graph), optimizes and compiles it; a call with a known
 * signature runs the compiled graph and never the body. Inside another trace or under a gradient
 * tape the body simply runs inline, so traces compose with grad and with each other.
 */
import {
  currentInterpreter,
  eagerInterpreter,
  flatten,
  KilnArgumentError,
  KilnError,
  leafPaths,
  Tensor,
  unflatten,
  withInterpreter,
  callerLocation,
  formatLocation,
  type DType,
  type SourceLocation,
  type TreeDef,
  type Variable,
} from '@kiln-jit/core';
import { TraceInterpreter } from './tracing.ts';
import { isTensorSpec, type TensorSpec } from './tensor-spec.ts';
import { isSignatureLeaf, signatureChanges, signatureOf, type Signature, type SignatureChange } from './signature.ts';
import { inspectSource, type SourceFacts } from './source-check.ts';
import { getBackend, getDefaultBackend, type Executable } from './backend.ts';
import { DEFAULT_PASSES, runPipeline, type Stage } from './passes/manager.ts';
import { printGraph, type PrintOptions } from './ir/printer.ts';
import type { Graph } from './ir/graph.ts';
import { warn } from './warnings.ts';
import { describeMissingRead, watchMissingKeys, type MissingRead } from './missing-keys.ts';

export interface TraceOptions {
  /** Name of the graph (default: the function's name). */
  name?: string;
  /** Fixes the signature: a list parallel to the arguments of `{ shape, dtype }` specs (pytrees allowed). */
  inputSignature?: readonly unknown[];
  /** 'interpreter', or 'wasm' once codegen-wasm is loaded (the facade makes it the default). */
  backend?: string;
  /** Override the pass list (names of registered passes). */
  passes?: readonly string[];
  /** Cache bound: least recently used traces are dropped beyond it (default 64). */
  maxCacheEntries?: number;
  /** Run the IR verifier after every pass (default true). */
  verify?: boolean;
}

/** Why a trace happened. */
export interface RetraceRecord {
  /** 1-based index of the call that traced. */
  readonly call: number;
  readonly changes: readonly SignatureChange[];
  readonly message: string;
}

export interface CacheEntryInfo {
  readonly signature: string;
  readonly calls: number;
  readonly traceMs: number;
  readonly compiled: boolean;
  readonly stages: readonly string[];
}

/** What tracing and compiling one signature produced, for tools like the CLI. */
export interface TraceReport {
  readonly stages: readonly Stage[];
  /** Milliseconds spent tracing and running the passes. */
  readonly traceMs: number;
  /** Milliseconds spent in the backend's compile. */
  readonly compileMs: number;
  readonly backend: string;
  /** The backend's own figures (kernel count, code size, ...). */
  readonly stats: Readonly<Record<string, number>>;
}

export interface TracedMethods {
  /** How many times the body has been traced. */
  readonly tracingCount: number;
  readonly cacheEntries: readonly CacheEntryInfo[];
  /** One record per retrace (not the first trace), saying which argument changed and how. */
  readonly retraceLog: readonly RetraceRecord[];
  /** Printed IR for these arguments (tensors or `{shape, dtype}` specs) at a stage; options last. */
  ir(...argsThenOptions: unknown[]): string;
  /** The optimized graph for these arguments (or specs). */
  lower(...args: unknown[]): Graph;
  /** Every stage of the pipeline for these arguments (or specs), with pass timings. */
  stages(...args: unknown[]): readonly Stage[];
  /** Traces and compiles for these arguments (or specs) and reports what that produced. */
  inspect(...args: unknown[]): TraceReport;
  /** Forgets every trace. */
  clearCache(): void;
  /** The traced JavaScript function. */
  readonly original: (...args: never[]) => unknown;
  readonly traceName: string;
  readonly options: Readonly<TraceOptions>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => any;
export type Traced<F extends AnyFn> = F & TracedMethods;

let runEagerly = false;

/** Runs every traced function eagerly (its body, op by op), for debugging; like tf.config.run_functions_eagerly. */
export function runFunctionsEagerly(on: boolean): void {
  runEagerly = on;
}

export function functionsRunEagerly(): boolean {
  return runEagerly;
}

/** How one output leaf is rebuilt: from a graph result, or a static value kept from tracing. */
type OutputSlot = { result: number } | { value: unknown };

interface CacheEntry {
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

const STORM_WINDOW = 10;
const STORM_THRESHOLD = 5;
const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

interface StageOptions extends PrintOptions {
  stage?: string;
}

/** Splits a trailing `{ stage, loc }` options object off `.ir()` arguments. */
function splitOptions(args: unknown[]): [unknown[], StageOptions] {
  const last = args.at(-1);
  if (
    last !== null &&
    typeof last === 'object' &&
    !Array.isArray(last) &&
    !isTensorSpec(last) &&
    !(last instanceof Tensor)
  ) {
    const keys = Object.keys(last);
    if (keys.length > 0 && keys.every((k) => k === 'stage' || k === 'loc' || k === 'locRelativeTo'))
      return [args.slice(0, -1), last as StageOptions];
  }
  return [args, {}];
}

/** The state behind one traced function (one per instance for decorated methods). */
class TracedFunction {
  readonly cache = new Map<string, CacheEntry>();
  readonly retraceLog: RetraceRecord[] = [];
  tracingCount = 0;
  private calls = 0;
  private lastSignature: Signature | null = null;
  private readonly window: (string | null | false)[] = [];
  private stormWarned = false;
  private facts: SourceFacts | null = null;
  private consoleWarned = false;
  readonly name: string;

  constructor(
    readonly fn: AnyFn,
    readonly options: TraceOptions,
    readonly boundThis: unknown,
  ) {
    this.name = options.name ?? (fn.name || 'fn');
  }

  private get sourceFacts(): SourceFacts {
    return (this.facts ??= inspectSource(this.fn));
  }

  /** Names of the arguments, for graph params and messages. */
  private argNames(count: number): string[] {
    const { paramNames, restName } = this.sourceFacts;
    return Array.from(
      { length: count },
      (_, i) =>
        paramNames[i] ?? (restName && i >= paramNames.length ? `${restName}${i - paramNames.length}` : `arg${i}`),
    );
  }

  call(thisArg: unknown, args: unknown[]): unknown {
    const self = this.boundThis ?? thisArg;
    if (runEagerly || currentInterpreter() !== eagerInterpreter) return this.fn.apply(self, args);
    this.calls++;
    // `this` is part of the signature only for a function that reads it (and is not bound to one).
    const keyedThis = this.boundThis === undefined && this.sourceFacts.usesThis ? thisArg : undefined;
    const names = this.argNames(args.length);
    const argsSignature = signatureOf(args, names);
    if (this.options.inputSignature) this.checkInputSignature(argsSignature);
    const signature = keyedThis === undefined ? argsSignature : signatureOf(args, names, keyedThis);
    let entry = this.cache.get(signature.key);
    if (entry) {
      this.cache.delete(signature.key); // re-insert: the Map's order is the LRU order
      this.cache.set(signature.key, entry);
      this.noteCall(null);
    } else {
      entry = this.traceEntry(signature, self, args);
    }
    this.lastSignature = signature;
    return this.runEntry(entry, args);
  }

  /** The signature inputSignature fixes, computed once. */
  private expectedSignature: Signature | null = null;

  private checkInputSignature(signature: Signature): void {
    const specs = this.options.inputSignature!;
    const expected = (this.expectedSignature ??= signatureOf(specs, this.argNames(specs.length)));
    if (expected.key === signature.key) return;
    const change = signatureChanges(expected, signature)[0];
    const detail = change
      ? `${change.argument} is ${change.to} but inputSignature says ${change.from}`
      : 'the arguments do not match it';
    throw new KilnArgumentError(`${this.name}: call does not match inputSignature: ${detail}`);
  }

  /** Records one call in the storm window: false = served from cache, otherwise the changed argument. */
  private noteCall(retracedArgument: string | null | false): void {
    this.window.push(retracedArgument === null ? false : retracedArgument);
    if (this.window.length > STORM_WINDOW) this.window.shift();
    const retraces = this.window.filter((x) => x !== false);
    if (retraces.length <= STORM_THRESHOLD) {
      this.stormWarned = false;
      return;
    }
    if (this.stormWarned) return;
    this.stormWarned = true;
    const last = this.retraceLog.at(-1);
    const change = last?.changes[0];
    warn(
      `function '${this.name}' retraced ${retraces.length} times in its last ${this.window.length} calls; ` +
        (change ? `'${change.argument}' keeps changing (latest: ${change.from} -> ${change.to}). ` : '') +
        'Each retrace traces and compiles again. Keep shapes fixed, pass changing numbers as tensors, or give an inputSignature.',
    );
  }

  /** Traces a new entry; only a trace that succeeds counts, is logged and enters the cache. */
  private traceEntry(signature: Signature, self: unknown, args: unknown[], isCall = true): CacheEntry {
    const entry = this.buildEntry(signature, self, args);
    const first = this.tracingCount === 0;
    this.tracingCount++;
    if (!first) {
      const changes = this.lastSignature ? signatureChanges(this.lastSignature, signature) : [];
      const message = changes.length
        ? changes.map((c) => `${c.argument} changed from ${c.from} to ${c.to}`).join('; ')
        : 'a signature seen before was dropped from the cache (LRU)';
      this.retraceLog.push({ call: this.calls, changes, message });
    }
    this.insert(signature.key, entry);
    if (isCall) this.noteCall(first ? null : (this.retraceLog.at(-1)!.changes[0]?.argument ?? 'signature'));
    return entry;
  }

  /** Forgets every trace and frees what the backend compiled for it. */
  clearCache(): void {
    for (const entry of this.cache.values()) entry.executable?.dispose?.();
    this.cache.clear();
  }

  private insert(key: string, entry: CacheEntry): void {
    this.cache.set(key, entry);
    const max = this.options.maxCacheEntries ?? 64;
    while (this.cache.size > max) {
      const [oldKey, old] = this.cache.entries().next().value as [string, CacheEntry];
      old.executable?.dispose?.();
      this.cache.delete(oldKey);
    }
  }

  /** Traces the body with symbolic tensors and runs the passes. */
  buildEntry(signature: Signature, self: unknown, args: readonly unknown[]): CacheEntry {
    const t0 = performance.now();
    const interp = new TraceInterpreter(this.name);
    const names = this.argNames(args.length);
    const tensorLeaves: number[] = [];
    let leafIndex = 0;
    const symbolicArgs = args.map((arg, i) => {
      const { leaves, def } = flatten(arg, isSignatureLeaf);
      const paths = leafPaths(def, names[i]!);
      const mapped = leaves.map((leaf, j) => {
        const index = leafIndex++;
        if (!(leaf instanceof Tensor) && !isTensorSpec(leaf)) return leaf;
        tensorLeaves.push(index);
        const spec = leaf as Tensor | TensorSpec;
        return interp.addArgument(paths[j]!, { shape: spec.shape, dtype: (spec.dtype ?? 'f32') as DType });
      });
      return unflatten(def, mapped);
    });
    const consoleLocations: SourceLocation[] = [];
    const restoreConsole = this.sourceFacts.consoleCalls.length ? interceptConsole(consoleLocations) : () => {};
    const missingReads: MissingRead[] = [];
    const watchedArgs = symbolicArgs.map((arg, i) => watchMissingKeys(arg, names[i]!, missingReads));
    let outputDef: TreeDef;
    let outputSlots: OutputSlot[];
    try {
      const output = this.traceBody(interp, self, watchedArgs, missingReads);
      const { leaves, def } = flatten(output, (x) => x instanceof Tensor);
      outputDef = def;
      outputSlots = leaves.map((leaf) => {
        if (!(leaf instanceof Tensor)) return { value: leaf };
        interp.builder.results.push(interp.valueOf(leaf));
        return { result: interp.builder.results.length - 1 };
      });
    } finally {
      interp.live = false;
      restoreConsole();
    }
    this.warnAboutConsole(consoleLocations);
    const graph = interp.builder.build();
    const backend = getBackend(this.backendName);
    const stages = runPipeline(graph, this.options.passes ?? backend.passes ?? DEFAULT_PASSES, {
      verify: this.options.verify,
    });
    return {
      signature,
      stages,
      graph: stages.at(-1)!.graph,
      variables: interp.variables,
      tensorLeaves,
      outputDef,
      outputSlots,
      traceMs: performance.now() - t0,
      executable: null,
      compileMs: 0,
      calls: 0,
    };
  }

  /** Runs the body under `interp`; a failure after a read of a missing argument key names the key. */
  private traceBody(interp: TraceInterpreter, self: unknown, args: unknown[], missingReads: MissingRead[]): unknown {
    try {
      return withInterpreter(interp, () => this.fn.apply(self, args));
    } catch (e) {
      const missing = describeMissingRead(missingReads);
      if (!missing) throw e;
      const detail = e instanceof KilnError ? e.detail : e instanceof Error ? e.message : String(e);
      throw new KilnArgumentError(`${this.name}: ${missing}; tracing then failed: ${detail}`, undefined, {
        cause: e,
      });
    }
  }

  private warnAboutConsole(seen: SourceLocation[]): void {
    const calls = this.sourceFacts.consoleCalls;
    if (this.consoleWarned || calls.length === 0) return;
    this.consoleWarned = true;
    const where = seen.length ? `at ${formatLocation(seen[0]!)}` : `line ${calls[0]!.line} of its source`;
    warn(
      `console.${calls[0]!.method} in traced function '${this.name}' (${where}) runs only while tracing, not on every call. ` +
        `Use print(t, label) to print a tensor on every call.`,
    );
  }

  executableOf(entry: CacheEntry): Executable {
    if (!entry.executable) {
      const t0 = performance.now();
      entry.executable = getBackend(this.backendName).compile(entry.graph);
      entry.compileMs = performance.now() - t0;
    }
    return entry.executable;
  }

  get backendName(): string {
    return this.options.backend ?? getDefaultBackend();
  }

  inspect(args: unknown[]): TraceReport {
    const entry = this.entryFor(args);
    const executable = this.executableOf(entry);
    return {
      stages: entry.stages,
      traceMs: entry.traceMs,
      compileMs: entry.compileMs,
      backend: this.backendName,
      stats: executable.stats ?? {},
    };
  }

  private runEntry(entry: CacheEntry, args: unknown[]): unknown {
    const { leaves } = flatten(args, isSignatureLeaf);
    const tensors = entry.tensorLeaves.map((i) => {
      const t = leaves[i] as Tensor;
      t.concreteData(`pass it to traced function '${this.name}'`);
      return t;
    });
    const results = this.executableOf(entry).run(tensors, entry.variables);
    entry.calls++;
    return unflatten(
      entry.outputDef,
      entry.outputSlots.map((s) => ('result' in s ? results[s.result] : s.value)),
    );
  }

  /** The cache entry for `args` (tensors or specs), tracing it if needed. */
  entryFor(args: unknown[]): CacheEntry {
    const callArgs = args.length === 0 && this.options.inputSignature ? [...this.options.inputSignature] : args;
    const signature = signatureOf(callArgs, this.argNames(callArgs.length));
    // Introspection traces count in tracingCount but not in the retrace-storm window.
    return this.cache.get(signature.key) ?? this.traceEntry(signature, this.boundThis, callArgs, false);
  }

  ir(argsThenOptions: unknown[]): string {
    const [args, options] = splitOptions(argsThenOptions);
    const entry = this.entryFor(args);
    const stageName = options.stage ?? 'optimized';
    const stage = [...entry.stages].reverse().find((s) => s.name === stageName);
    if (stage) return printGraph(stage.graph, options);
    const backend = getBackend(this.options.backend ?? getDefaultBackend());
    if (backend.stages.includes(stageName)) return this.executableOf(entry).stage?.(stageName) ?? '';
    const known = [...new Set([...entry.stages.map((s) => s.name), ...backend.stages])];
    throw new KilnArgumentError(`${this.name}.ir: unknown stage '${stageName}'; stages: ${known.join(', ')}`);
  }
}

/** Records where console methods are called from while tracing (then calls them as usual). */
function interceptConsole(seen: SourceLocation[]): () => void {
  const originals = CONSOLE_METHODS.map((m) => console[m]);
  CONSOLE_METHODS.forEach((m, i) => {
    console[m] = (...data: unknown[]) => {
      const loc = callerLocation();
      if (loc) seen.push(loc);
      originals[i]!.apply(console, data);
    };
  });
  return () => CONSOLE_METHODS.forEach((m, i) => (console[m] = originals[i]!));
}

const STATES = new WeakMap<object, TracedFunction>();
/** Every traced function made so far (weakly held), so tools can find one by name. */
const REGISTRY: WeakRef<Traced<AnyFn>>[] = [];

/** The traced functions that are still alive, oldest first (decorated methods: one per instance). */
export function tracedFunctions(): Traced<AnyFn>[] {
  return REGISTRY.map((r) => r.deref()).filter((t): t is Traced<AnyFn> => t !== undefined);
}

function makeTraced<F extends AnyFn>(fn: F, options: TraceOptions, boundThis?: unknown): Traced<F> {
  const state = new TracedFunction(fn, options, boundThis);
  const traced = function (this: unknown, ...args: unknown[]) {
    return state.call(this, args);
  } as unknown as Traced<F>;
  Object.defineProperties(traced, {
    name: { value: state.name },
    tracingCount: { get: () => state.tracingCount },
    cacheEntries: {
      get: () =>
        [...state.cache.values()].map((e) => ({
          signature: e.signature.leaves.map((l) => `${l.path}: ${l.text}`).join(', '),
          calls: e.calls,
          traceMs: e.traceMs,
          compiled: e.executable !== null,
          stages: e.stages.map((s) => s.name),
        })),
    },
    retraceLog: { get: () => state.retraceLog },
    ir: { value: (...args: unknown[]) => state.ir(args) },
    lower: { value: (...args: unknown[]) => state.entryFor(args).graph },
    stages: { value: (...args: unknown[]) => state.entryFor(args).stages },
    inspect: { value: (...args: unknown[]) => state.inspect(args) },
    clearCache: { value: () => state.clearCache() },
    original: { value: fn },
    traceName: { value: state.name },
    options: { value: options },
  });
  STATES.set(traced, state);
  if (REGISTRY.length > 256) REGISTRY.splice(0, REGISTRY.length, ...REGISTRY.filter((r) => r.deref() !== undefined));
  REGISTRY.push(new WeakRef(traced));
  return traced;
}

/** The traced-function view of a decorated method or traced function (throws if it is not one). */
export function asTraced<F extends AnyFn>(fn: F): Traced<F> {
  if (!STATES.has(fn)) throw new KilnArgumentError(`asTraced: ${fn.name || 'function'} is not a traced function`);
  return fn as Traced<F>;
}

/**
 * What `trace(options)` returns: a method decorator in both of TypeScript's forms, the standard
 * (TC39) one and the legacy `experimentalDecorators` one, so a project's tsconfig never matters.
 */
export interface TraceDecorator {
  <F extends AnyFn>(method: F, context: ClassMethodDecoratorContext): F;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Traces `fn` (see the file comment); `trace(options)` is a method decorator: `@trace()` gives
 * every instance its own traced method, with its own cache and variables.
 */
export function trace<F extends AnyFn>(fn: F, options?: TraceOptions): Traced<F>;
export function trace(options?: TraceOptions): TraceDecorator;
export function trace(fnOrOptions?: AnyFn | TraceOptions, maybeOptions: TraceOptions = {}): unknown {
  if (typeof fnOrOptions === 'function') return makeTraced(fnOrOptions, maybeOptions);
  const options = fnOrOptions ?? {};
  return (first: unknown, second: unknown, descriptor?: PropertyDescriptor): unknown =>
    isDecoratorContext(second)
      ? decorateMethod(options, first as AnyFn, second)
      : decorateLegacyMethod(options, first as object, second as string | symbol, descriptor);
}

function isDecoratorContext(x: unknown): x is DecoratorContext {
  return typeof x === 'object' && x !== null && 'kind' in x && 'name' in x;
}

/** The standard form: each instance gets its traced method when it is constructed. */
function decorateMethod(options: TraceOptions, method: AnyFn, context: DecoratorContext): AnyFn {
  if (context.kind !== 'method') throw new KilnArgumentError(`@trace() applies to methods, not to a ${context.kind}`);
  const name = options.name ?? String(context.name);
  context.addInitializer(function (this: unknown) {
    const traced = makeTraced(method, { ...options, name }, this);
    Object.defineProperty(this as object, context.name, { value: traced, configurable: true, writable: true });
  });
  return method;
}

/** The `experimentalDecorators` form: each instance gets its traced method on first access. */
function decorateLegacyMethod(
  options: TraceOptions,
  prototype: object,
  key: string | symbol,
  descriptor: PropertyDescriptor | undefined,
): PropertyDescriptor {
  const method: unknown = descriptor?.value;
  if (typeof method !== 'function') {
    throw new KilnArgumentError(`@trace() applies to methods; ${String(key)} is not a method`);
  }
  const name = options.name ?? String(key);
  return {
    configurable: true,
    enumerable: descriptor?.enumerable ?? false,
    get(this: object) {
      if (this === prototype) return method;
      const traced = makeTraced(method as AnyFn, { ...options, name }, this);
      Object.defineProperty(this, key, { value: traced, configurable: true, writable: true });
      return traced;
    },
  };
}
