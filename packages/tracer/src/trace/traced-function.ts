/**
 * @file The state behind one traced function (one per instance for decorated methods): a call
 * looks its signature up in the cache, traces and runs the passes on a miss, compiles on first
 * use, and runs the executable. Inside another trace or under a gradient tape the body simply
 * runs inline, so traces compose with grad and with each other.
 */
import {
  KilnConcretizationError,
  currentInterpreter,
  eagerInterpreter,
  flatten,
  KilnArgumentError,
  KilnError,
  leafPaths,
  Tensor,
  unflatten,
  withInterpreter,
  type DType,
} from '@kiln-jit/core';
import { TraceInterpreter } from '../tracing.ts';
import { isTensorSpec, type TensorSpec } from '../tensor-spec.ts';
import { isSignatureLeaf, signatureChanges, signatureOf, type Signature } from '../signature.ts';
import { inspectSource, type SourceFacts } from '../source-check.ts';
import { getBackend, getDefaultBackend, type Executable } from '../backend.ts';
import { DEFAULT_PASSES, runPipeline, type Stage } from '../passes/manager.ts';
import type { Graph } from '../ir/graph.ts';
import { printGraph, type PrintOptions } from '../ir/printer.ts';
import { describeMissingRead, watchMissingKeys, type MissingRead } from '../missing-keys.ts';
import { TraceCache, type CacheEntry, type OutputSlot } from './cache.ts';
import { RetraceMonitor } from './retrace-monitor.ts';
import { ConsoleWatch } from './console-capture.ts';
import { functionsRunEagerly } from './eager-mode.ts';
import type { AnyFn, TraceOptions, TraceReport } from './types.ts';

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

export class TracedFunction {
  readonly cache: TraceCache;
  readonly retraces: RetraceMonitor;
  tracingCount = 0;
  readonly name: string;
  private calls = 0;
  private lastSignature: Signature | null = null;
  /** The signature inputSignature fixes, computed once. */
  private expectedSignature: Signature | null = null;
  private facts: SourceFacts | null = null;
  private readonly consoleWatch: ConsoleWatch;

  constructor(
    readonly fn: AnyFn,
    readonly options: TraceOptions,
    readonly boundThis: unknown,
  ) {
    this.name = options.name ?? (fn.name || 'fn');
    this.cache = new TraceCache(options.maxCacheEntries ?? 64);
    this.retraces = new RetraceMonitor(this.name);
    this.consoleWatch = new ConsoleWatch(this.name);
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
    if (functionsRunEagerly() || currentInterpreter() !== eagerInterpreter) return this.fn.apply(self, args);
    this.calls++;
    // `this` is part of the signature only for a function that reads it (and is not bound to one).
    const keyedThis = this.boundThis === undefined && this.sourceFacts.usesThis ? thisArg : undefined;
    const names = this.argNames(args.length);
    const argsSignature = signatureOf(args, names);
    if (this.options.inputSignature) this.checkInputSignature(argsSignature);
    const signature = keyedThis === undefined ? argsSignature : signatureOf(args, names, keyedThis);
    let entry = this.cache.use(signature.key);
    if (entry) this.retraces.noteCall(null);
    else entry = this.traceEntry(signature, self, args);
    this.lastSignature = signature;
    return this.runEntry(entry, args);
  }

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

  /** Traces a new entry; only a trace that succeeds counts, is logged and enters the cache. */
  private traceEntry(signature: Signature, self: unknown, args: unknown[], isCall = true): CacheEntry {
    const entry = this.buildEntry(signature, self, args);
    const first = this.tracingCount === 0;
    this.tracingCount++;
    const changed = first ? null : this.retraces.retraced(this.calls, this.lastSignature, signature);
    this.cache.insert(signature.key, entry);
    // Introspection traces count in tracingCount but not in the retrace-storm window.
    if (isCall) this.retraces.noteCall(changed);
    return entry;
  }

  /** Forgets every trace and frees what the backend compiled for it. */
  clearCache(): void {
    this.cache.clear();
  }

  /** A JS condition on a tensor is always true: refuse to trace it rather than take one branch silently. */
  private checkTensorTests(args: readonly unknown[]): void {
    const { tensorTests, paramNames } = this.sourceFacts;
    const test = tensorTests.find((t) => t.param === null || args[paramNames.indexOf(t.param)] instanceof Tensor);
    if (!test) return;
    const { construct, text, line } = test;
    const shown =
      construct === '!'
        ? `!${text}`
        : construct === '&&' || construct === '||'
          ? `${text} ${construct} …`
          : `${construct} (${text})`;
    throw new KilnConcretizationError(
      `${this.name}: \`${shown}\` (line ${line} of its source) uses a tensor as a JS condition, which is always true; ` +
        'use cond(pred, trueFn, falseFn) or whileLoop for data-dependent control flow, or where(c, a, b) to choose values',
    );
  }

  /** Traces the body with symbolic tensors and runs the passes. */
  private buildEntry(signature: Signature, self: unknown, args: readonly unknown[]): CacheEntry {
    const t0 = performance.now();
    this.checkTensorTests(args);
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
    const missingReads: MissingRead[] = [];
    const watchedArgs = symbolicArgs.map((arg, i) => watchMissingKeys(arg, names[i]!, missingReads));
    let traced: { outputDef: CacheEntry['outputDef']; outputSlots: OutputSlot[] };
    try {
      traced = this.consoleWatch.during(this.sourceFacts, () => {
        const output = this.traceBody(interp, self, watchedArgs, missingReads);
        const { leaves, def } = flatten(output, (x) => x instanceof Tensor);
        const outputSlots = leaves.map((leaf): OutputSlot => {
          if (!(leaf instanceof Tensor)) return { value: leaf };
          interp.builder.results.push(interp.valueOf(leaf));
          return { result: interp.builder.results.length - 1 };
        });
        return { outputDef: def, outputSlots };
      });
    } finally {
      interp.live = false;
    }
    const graph = interp.builder.build();
    const { planned, stages } = this.plan(graph);
    return {
      signature,
      get stages() {
        return stages();
      },
      graph: planned,
      variables: interp.variables,
      tensorLeaves,
      ...traced,
      traceMs: performance.now() - t0,
      executable: null,
      compileMs: 0,
      calls: 0,
    };
  }

  /**
   * The pipeline's output for `graph`, from the backend's store when it holds it (the stages are
   * then made only if someone asks for them), else by running the passes (and storing the result).
   */
  private plan(graph: Graph): { planned: Graph; stages: () => Stage[] } {
    const backend = getBackend(this.backendName);
    const passes = this.options.passes ?? backend.passes ?? DEFAULT_PASSES;
    const run = (): Stage[] =>
      runPipeline(graph, passes, { verify: this.options.verify, memoryPolicy: backend.memoryPolicy });
    const store = passes === DEFAULT_PASSES ? backend.plannedGraphs : undefined;
    const stored = store?.load(graph);
    if (stored) {
      let stages: Stage[] | null = null;
      return { planned: stored, stages: () => (stages ??= run()) };
    }
    const stages = run();
    const planned = stages.at(-1)!.graph;
    store?.save(graph, planned);
    return { planned, stages: () => stages };
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

  private executableOf(entry: CacheEntry): Executable {
    if (!entry.executable) {
      const t0 = performance.now();
      entry.executable = getBackend(this.backendName).compile(entry.graph);
      entry.compileMs = performance.now() - t0;
    }
    return entry.executable;
  }

  private get backendName(): string {
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
      kernels: executable.kernels?.() ?? [],
    };
  }

  private runEntry(entry: CacheEntry, args: unknown[]): unknown {
    const { leaves } = flatten(args, isSignatureLeaf);
    const tensors = entry.tensorLeaves.map((i) => {
      const t = leaves[i] as Tensor;
      if (t.isSymbolic) t.concreteData(`pass it to traced function '${this.name}'`); // throws the clear error
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
    return this.cache.peek(signature.key) ?? this.traceEntry(signature, this.boundThis, callArgs, false);
  }

  ir(argsThenOptions: unknown[]): string {
    const [args, options] = splitOptions(argsThenOptions);
    const entry = this.entryFor(args);
    const stageName = options.stage ?? 'optimized';
    const stage = [...entry.stages].reverse().find((s) => s.name === stageName);
    if (stage) return printGraph(stage.graph, options);
    const backend = getBackend(this.backendName);
    if (backend.stages.includes(stageName)) return this.executableOf(entry).stage?.(stageName) ?? '';
    const known = [...new Set([...entry.stages.map((s) => s.name), ...backend.stages])];
    throw new KilnArgumentError(`${this.name}.ir: unknown stage '${stageName}'; stages: ${known.join(', ')}`);
  }
}
