/**
 * @file Evaluates a program step by step, eagerly and under the perturbed interpreters, to know
 * each value's type and whether it is exact (carries no approximation error from the Wasm
 * backend). A program is valid when every step runs and every discrete operand (of floor,
 * comparisons, casts to integers, ...) is exact; the generator keeps to valid programs and the
 * shrinker only proposes valid ones.
 */
import { flatten, KilnError, Tensor, withInterpreter } from '../../src/index.ts';
import { NoisyInterpreter, noisyInterpreters } from './noise.ts';
import {
  applyStep,
  discreteOperands,
  inputTensor,
  toFunction,
  type FuzzInput,
  type FuzzProgram,
  type FuzzStep,
  type Operand,
} from './program.ts';

/** Programs keep every value at or below this many elements, so a run stays fast. */
export const MAX_ELEMENTS = 2048;

export interface Live {
  clean: Tensor;
  noisy: Tensor[];
  /** Every perturbed run gave the same bits: no approximation error reaches this value. */
  exact: boolean;
}

function sameBits(a: Tensor, b: Tensor): boolean {
  const x = a.dataSync();
  const y = b.dataSync();
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return false;
  return true;
}

export class Evaluator {
  readonly values: Live[] = [];
  private readonly noise: NoisyInterpreter[] = noisyInterpreters();

  addInput(input: FuzzInput): Live {
    const t = inputTensor(input);
    const live = { clean: t, noisy: this.noise.map(() => t), exact: true };
    this.values.push(live);
    return live;
  }

  /** Runs `step` on the current values; null if it throws a KilnError, breaks the discrete rule or grows too big. */
  tryStep(step: FuzzStep): Live | null {
    const inexact = (a: Operand): boolean => 'ref' in a && !this.values[a.ref]!.exact;
    if (discreteOperands(step).some((i) => inexact(step.args[i]!))) return null;
    const operands = (run: number | null): (Tensor | number)[] =>
      step.args.map((a) =>
        'ref' in a ? (run === null ? this.values[a.ref]!.clean : this.values[a.ref]!.noisy[run]!) : a.lit,
      );
    let clean: Tensor;
    try {
      clean = applyStep(step, operands(null));
    } catch (e) {
      if (e instanceof KilnError) return null;
      throw e;
    }
    if (clean.size > MAX_ELEMENTS) return null;
    const noisy = this.noise.map((interp, run) => withInterpreter(interp, () => applyStep(step, operands(run))));
    const live = { clean, noisy, exact: noisy.every((n) => sameBits(n, clean)) };
    this.values.push(live);
    return live;
  }
}

/** The values of a valid program, or null if it is not valid (see the file comment). */
export function analyze(p: FuzzProgram): Live[] | null {
  const ev = new Evaluator();
  p.inputs.forEach((input) => ev.addInput(input));
  for (const step of p.steps) if (!ev.tryStep(step)) return null;
  const first = ev.values[p.outputs[0]!];
  if (p.grad && (!first || first.clean.dtype !== 'f32')) return null;
  return ev.values;
}

/** The tensor leaves of a run's output. */
export function leaves(out: unknown): Tensor[] {
  return flatten(out, (x) => x instanceof Tensor).leaves as Tensor[];
}

/** Eager outputs, clean and under each perturbed interpreter; null if the program does not run. */
export function eagerOutputs(p: FuzzProgram): { clean: Tensor[]; noisy: Tensor[][] } | null {
  const { fn, args } = toFunction(p);
  try {
    const clean = leaves(fn(...args));
    const noisy = noisyInterpreters().map((interp) => leaves(withInterpreter(interp, () => fn(...args))));
    return { clean, noisy };
  } catch (e) {
    if (e instanceof KilnError) return null;
    throw e;
  }
}
