/**
 * @file trace(): tf.function for TypeScript. A traced function keeps a cache from input
 * signature to compiled graph. A call with a new signature runs the JavaScript body once with
 * symbolic tensors (recording the graph), optimizes and compiles it; a call with a known
 * signature runs the compiled graph and never the body (trace/traced-function.ts). This module
 * makes the callable: the function form, the `@trace()` method decorator, and the registry of
 * live traced functions that tools search.
 */
import { KilnArgumentError } from '@kiln-jit/core';
import { TracedFunction } from './trace/traced-function.ts';
import type { AnyFn, Traced, TraceOptions } from './trace/types.ts';

export type { TraceOptions, RetraceRecord, CacheEntryInfo, TraceReport, TracedMethods, Traced } from './trace/types.ts';
export { runFunctionsEagerly, functionsRunEagerly } from './trace/eager-mode.ts';

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
    cacheEntries: { get: () => state.cache.info() },
    retraceLog: { get: () => state.retraces.log },
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
