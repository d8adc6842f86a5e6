/**
 * @file Runs a program eagerly and traced in every mode (interpreter and Wasm, passes on and off)
 * and compares.
 *
 * Tolerance policy. The interpreter runs core's own kernels, so it must match eager to 1e-5
 * relative, NaN and ±Inf in the same places, with no allowance for ill-conditioning. Wasm gets
 * rtol 2e-4 and atol 2e-5, plus `spread` times the largest deviation the perturbed eager runs
 * (noise.ts) show for that element: that term grows with cancellation, long sums and matmuls,
 * and the size of the values involved. i32 and bool results must be equal. An element is
 * ill-conditioned, and skipped, where a perturbed run changes its NaN/Inf status or (i32, bool)
 * its value, or where the tolerance lets it move by more than its own size and Wasm overflowed.
 * The perturbation covers what Wasm is documented to do differently: simd-math's error bounds,
 * its shortcuts (denormals) and undetermined results (sin, cos of huge arguments), signed zeros
 * it may drop, and f32 partial sums and products that overflow where eager's doubles do not.
 * Discontinuous ops only ever see exact values (evaluate.ts), so a comparison of two computed
 * values near a threshold cannot flip between eager and Wasm.
 */
import { printGraph, trace, type Tensor, type TraceOptions } from '../../src/index.ts';
import { eagerOutputs, leaves } from './evaluate.ts';
import { formatProgram, toFunction, type FuzzProgram } from './program.ts';

export interface Tolerance {
  rtol: number;
  atol: number;
  /** Multiple of the perturbed runs' deviation added to the tolerance; 0 ignores those runs. */
  spread: number;
}

export const INTERPRETER_TOLERANCE: Tolerance = { rtol: 1e-5, atol: 1e-6, spread: 0 };
export const WASM_TOLERANCE: Tolerance = { rtol: 2e-4, atol: 2e-5, spread: 8 };

export interface Mode {
  name: string;
  options: TraceOptions;
  tolerance: Tolerance;
}

export const MODES: readonly Mode[] = [
  { name: 'interpreter', options: { backend: 'interpreter' }, tolerance: INTERPRETER_TOLERANCE },
  { name: 'interpreter, no passes', options: { backend: 'interpreter', passes: [] }, tolerance: INTERPRETER_TOLERANCE },
  { name: 'wasm', options: { backend: 'wasm' }, tolerance: WASM_TOLERANCE },
  { name: 'wasm, no passes', options: { backend: 'wasm', passes: [] }, tolerance: WASM_TOLERANCE },
];

export interface Mismatch {
  mode: string;
  /** The traced function threw, or its results differ from eager. */
  kind: 'threw' | 'differs';
  detail: string;
}

type Status = 'nan' | 'inf' | '-inf' | 'finite';
const status = (x: number): Status =>
  Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : 'finite';

/** Why traced value x disagrees with eager y (perturbed runs gave `seen`), or null. */
function compareElement(x: number, y: number, seen: number[], discrete: boolean, tol: Tolerance): string | null {
  if (seen.some((n) => status(n) !== status(y) || (discrete && n !== y))) return null; // ill-conditioned
  if (discrete) return x === y ? null : `${x}, eager ${y}`;
  if (status(y) !== 'finite') return status(x) === status(y) ? null : `${x}, eager ${y}`;
  const deviation = seen.reduce((m, n) => Math.max(m, Math.abs(n - y)), 0);
  const allowed = tol.atol + tol.rtol * Math.abs(y) + tol.spread * deviation;
  // An element allowed to move by more than its size is undetermined: it may even overflow.
  if (status(x) !== 'finite') return allowed < Math.abs(y) ? `${x}, eager ${y}` : null;
  const off = Math.abs(x - y);
  return off > allowed ? `${x}, eager ${y} (off by ${off.toPrecision(3)}, allowed ${allowed.toPrecision(3)})` : null;
}

/** The first element of `actual` that disagrees with eager (`clean`, perturbed `noisy`), described, or null. */
export function compareLeaf(actual: Tensor, clean: Tensor, noisy: readonly Tensor[], tol: Tolerance): string | null {
  if (actual.dtype !== clean.dtype || actual.shape.join() !== clean.shape.join())
    return `type ${actual.typeString}, eager ${clean.typeString}`;
  const a = actual.dataSync();
  const e = clean.dataSync();
  const runs = tol.spread > 0 ? noisy.map((t) => t.dataSync()) : [];
  const discrete = clean.dtype !== 'f32';
  for (let i = 0; i < e.length; i++) {
    const problem = compareElement(
      a[i]!,
      e[i]!,
      runs.map((r) => r[i]!),
      discrete,
      tol,
    );
    if (problem) return `element ${i}: ${problem}`;
  }
  return null;
}

/**
 * Runs `p` in `mode` twice (the second call reuses the compiled function, which must not have
 * changed anything it keeps); the traced function is dropped afterwards (its module freed).
 */
function runTraced(p: FuzzProgram, mode: Mode): Tensor[][] {
  const { fn, args } = toFunction(p);
  const traced = trace(fn, { name: 'fuzz', ...mode.options });
  try {
    return [leaves(traced(...args)), leaves(traced(...args))];
  } finally {
    traced.clearCache();
  }
}

/** The first mode whose results disagree with eager, or null (also for a program that does not run eagerly). */
export function checkProgram(p: FuzzProgram, modes: readonly Mode[] = MODES): Mismatch | null {
  const eager = eagerOutputs(p);
  if (!eager) return null;
  for (const mode of modes) {
    let calls: Tensor[][];
    try {
      calls = runTraced(p, mode);
    } catch (e) {
      return {
        mode: mode.name,
        kind: 'threw',
        detail: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e),
      };
    }
    for (const [call, out] of calls.entries()) {
      const which = call === 0 ? '' : 'second call, ';
      if (out.length !== eager.clean.length)
        return {
          mode: mode.name,
          kind: 'differs',
          detail: `${which}${out.length} results, eager ${eager.clean.length}`,
        };
      for (let leaf = 0; leaf < out.length; leaf++) {
        const problem = compareLeaf(
          out[leaf]!,
          eager.clean[leaf]!,
          eager.noisy.map((n) => n[leaf]!),
          mode.tolerance,
        );
        if (problem) return { mode: mode.name, kind: 'differs', detail: `${which}result ${leaf}: ${problem}` };
      }
    }
  }
  return null;
}

/** A failure report: the program, its traced IR, the IR the failing mode ran, and what differed. */
export function describeFailure(p: FuzzProgram, m: Mismatch, modes: readonly Mode[] = MODES): string {
  const mode = modes.find((x) => x.name === m.mode) ?? modes[0]!;
  const { fn, args } = toFunction(p);
  const traced = trace(fn, { name: 'fuzz', ...mode.options });
  const parts = [`${m.mode} ${m.kind}: ${m.detail}`, '', 'program:', formatProgram(p), ''];
  try {
    const stages = traced.stages(...args);
    parts.push('traced IR:', printGraph(stages[0]!.graph), '');
    if (stages.length > 1) parts.push(`IR after the passes (${mode.name}):`, printGraph(stages.at(-1)!.graph), '');
  } catch (e) {
    parts.push(`tracing failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    traced.clearCache();
  }
  return parts.join('\n');
}
