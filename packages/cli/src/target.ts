/**
 * @file The traced function a command works on: load the user's file, find the live traced
 * function named by `--fn` (or the only one), and decide the argument specs it is traced with
 * (`--args`, else its inputSignature).
 */
import { tracedFunctions, type Stage, type TensorSpec, type Traced } from 'kiln-jit';
import { asProgramStep, displayPath, UsageError } from './errors.ts';
import { parseArgSpecs } from './arg-specs.ts';
import { findTracedFunctions, type TracedSource } from './source/find-traced.ts';
import { loadUserModule, resolveUserFile } from './load-module.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTraced = Traced<(...args: any[]) => any>;

/** What `--fn` and `--args` say. */
export interface TargetOptions {
  fn?: string;
  args?: string;
}

export interface Target {
  readonly fn: AnyTraced;
  /** The user's file, relative to the working directory. */
  readonly file: string;
  /** The argument specs to trace with: from `--args`, or none to use the inputSignature. */
  readonly specs: readonly TensorSpec[];
}

/** The traceName `--fn` means: a traced name, or the variable / Class.method it is bound to. */
function wantedName(fn: string | undefined, sources: readonly TracedSource[], file: string): string {
  if (fn !== undefined) {
    const bound = sources.find((s) => s.symbol === fn || s.symbol?.endsWith(` ${fn}`) || s.symbol?.endsWith(`.${fn}`));
    return sources.some((s) => s.name === fn) || !bound ? fn : bound.name;
  }
  const names = [...new Set(sources.map((s) => s.name))];
  if (names.length === 1) return names[0]!;
  if (names.length === 0)
    throw new UsageError(`${file}: no trace() call or @trace() method found; to use one it imports, name it with --fn`);
  throw new UsageError(`${file} has ${names.length} traced functions (${names.join(', ')}): choose one with --fn`);
}

/** The live traced function called `name`, with an error that says why there is none. */
function liveTraced(name: string, sources: readonly TracedSource[], file: string): AnyTraced {
  const live = tracedFunctions().find((t) => t.traceName === name);
  if (live) return live;
  const written = sources.find((s) => s.name === name);
  if (written?.kind === 'method') {
    throw new UsageError(
      `${file}:${written.line}: @trace() method ${written.symbol} is in the source, but no instance of its class ` +
        'exists after loading the file; a traced method exists per instance, so create one when the module loads (export const model = new ...)',
    );
  }
  if (written) {
    throw new UsageError(
      `${file}:${written.line}: trace() call for '${name}' is in the source, but no traced function of that ` +
        'name exists after loading the file (is the call inside a function that never runs?)',
    );
  }
  const known = [...new Set([...sources.map((s) => s.name), ...tracedFunctions().map((t) => t.traceName)])];
  throw new UsageError(
    `no traced function '${name}' in ${file}; ${known.length ? `traced functions: ${known.join(', ')}` : 'it has none'}`,
  );
}

/** Loads `fileArg` and finds the traced function to work on (see the file comment). */
export async function openTarget(fileArg: string, options: TargetOptions): Promise<Target> {
  const path = resolveUserFile(fileArg);
  const file = displayPath(path);
  const argSpecs = options.args === undefined ? null : parseArgSpecs(options.args);
  const sources = findTracedFunctions(path);
  const name = wantedName(options.fn, sources, file);
  await loadUserModule(path, file);
  const fn = liveTraced(name, sources, file);
  if (!argSpecs && !fn.options.inputSignature) {
    throw new UsageError(
      `${name} has no inputSignature: give its argument types with --args, like --args "f32[32,784] i32[32]"`,
    );
  }
  return { fn, file, specs: argSpecs ?? [] };
}

/** Traces the target (abstractly, from its specs) and runs the passes: every stage. */
export function stagesOf(target: Target): Promise<readonly Stage[]> {
  return asProgramStep(`tracing ${target.fn.traceName} failed`, () => target.fn.stages(...target.specs));
}
