/**
 * @file The correctness check: every workload runs once (training steps a few times) in each
 * mode (each Wasm thread count a mode of its own), and each mode's numbers must match eager's.
 * Traced-wasm computes in f32 with its own exp/tanh approximations and reassociated sums (split
 * differently across threads), and TensorFlow.js and jax-js have their own kernels, so each gets
 * a band; `atol` is relative to the largest magnitude of the reference, so tiny gradients
 * are judged on the scale of their own tensor.
 */
import { createRunner } from './runners.ts';
import { skipReason } from './suite.ts';
import { baseMode, type BaseMode, type Mode, type Tolerance, type Workload } from './workloads/index.ts';

/** By base mode: every Wasm thread count gets the `wasm` band. */
export const TOLERANCES: Record<BaseMode, Tolerance> = {
  eager: { rtol: 0, atol: 0 },
  interpreter: { rtol: 1e-5, atol: 1e-6 },
  wasm: { rtol: 2e-4, atol: 2e-5 },
  'tfjs-wasm': { rtol: 1e-3, atol: 1e-4 },
  'tfjs-cpu': { rtol: 1e-3, atol: 1e-4 },
  'jax-js': { rtol: 1e-3, atol: 1e-4 },
};

export interface CheckOutcome {
  readonly workload: string;
  readonly mode: Mode;
  /** null when the mode agrees with the reference; otherwise the first disagreement. */
  readonly mismatch: string | null;
  readonly skipped?: string;
}

/** Describes the first element of `actual` outside the tolerance of `expected`, or null. */
export function firstMismatch(actual: Float32Array, expected: Float32Array, tol: Tolerance): string | null {
  if (actual.length !== expected.length) return `${actual.length} values vs ${expected.length}`;
  const scale = expected.reduce((m, x) => (Number.isFinite(x) ? Math.max(m, Math.abs(x)) : m), 0);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) !== Number.isNaN(e)) return `value ${i}: ${a} vs ${e}`;
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      if (a !== e && !(Number.isNaN(a) && Number.isNaN(e))) return `value ${i}: ${a} vs ${e}`;
      continue;
    }
    if (Math.abs(a - e) > tol.atol * scale + tol.rtol * Math.abs(e))
      return `value ${i}: ${a} vs ${e} (diff ${Math.abs(a - e).toExponential(2)})`;
  }
  return null;
}

/** The result of `workload` in `mode` after its check calls. */
export async function checkResult(workload: Workload, mode: Mode): Promise<Float32Array> {
  const runner = await createRunner(workload, mode);
  try {
    for (let i = 1; i < workload.checkCalls; i++) runner.call();
    return runner.result();
  } finally {
    runner.dispose();
  }
}

/** Runs `workload` in eager (the reference) and every other mode in `modes`, comparing results. */
export async function checkWorkload(workload: Workload, modes: readonly Mode[]): Promise<CheckOutcome[]> {
  const reference = await checkResult(workload, 'eager');
  const outcomes: CheckOutcome[] = [];
  for (const mode of modes.filter((m) => m !== 'eager')) {
    // The check is cheap enough for every mode; only a mode the workload lacks is skipped.
    const reason = skipReason(workload, mode, false);
    if (reason !== null) {
      outcomes.push({ workload: workload.id, mode, mismatch: null, skipped: reason });
      continue;
    }
    // A mode that throws fails the check for that workload alone, saying why.
    const actual = await checkResult(workload, mode).catch((e: unknown) =>
      e instanceof Error ? e : new Error(String(e)),
    );
    const mismatch =
      actual instanceof Error
        ? `failed: ${actual.message.split('\n')[0]}`
        : firstMismatch(actual, reference, TOLERANCES[baseMode(mode)]);
    outcomes.push({ workload: workload.id, mode, mismatch });
  }
  return outcomes;
}
