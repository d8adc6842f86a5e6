/**
 * @file Shrinking: smaller valid programs near a failing one, most promising first. fast-check
 * keeps the first candidate that still fails and asks again, until none does.
 */
import { sizeOf } from '../../src/index.ts';
import { analyze, type Live } from './evaluate.ts';
import { prune, replaceValue } from './prune.ts';
import type { FuzzInput, FuzzProgram, Operand } from './program.ts';

const sameType = (a: Live, b: Live): boolean =>
  a.clean.dtype === b.clean.dtype && a.clean.shape.join() === b.clean.shape.join();

/** The program reading a new input holding `value`'s eager result instead of computing it. */
function promoteToInput(p: FuzzProgram, value: number, live: Live): FuzzProgram {
  const n = p.inputs.length;
  const shift = (i: number): number => (i >= n ? i + 1 : i);
  const input: FuzzInput = {
    dtype: live.clean.dtype,
    shape: [...live.clean.shape],
    data: [...live.clean.dataSync()],
    captured: false,
  };
  const shifted: FuzzProgram = {
    inputs: [...p.inputs, input],
    steps: p.steps.map((s) => ({ ...s, args: s.args.map((a): Operand => ('ref' in a ? { ref: shift(a.ref) } : a)) })),
    outputs: p.outputs.map(shift),
    grad: p.grad,
  };
  return replaceValue(shifted, shift(value), n);
}

/** Simpler data for input i: fewer elements along one axis, or values on a grid. */
function* simplerInputs(p: FuzzProgram, i: number): Generator<FuzzProgram> {
  const input = p.inputs[i]!;
  const withInput = (next: FuzzInput): FuzzProgram => ({ ...p, inputs: p.inputs.map((x, j) => (j === i ? next : x)) });
  if (input.captured) yield withInput({ ...input, captured: false });
  for (let axis = 0; axis < input.shape.length; axis++) {
    if (input.shape[axis]! <= 1) continue;
    const shape = input.shape.map((d, a) => (a === axis ? 1 : d));
    const inner = sizeOf(input.shape.slice(axis + 1));
    const data = input.data.filter((_, e) => Math.floor(e / inner) % input.shape[axis]! === 0);
    yield withInput({ ...input, shape, data });
  }
  if (input.dtype !== 'f32') return;
  const grid = input.data.map((v) => (Number.isFinite(v) ? Math.round(v * 2) / 2 : v));
  if (grid.some((v, e) => !Object.is(v, input.data[e]))) yield withInput({ ...input, data: grid });
  if (input.data.some((v) => v !== 1)) yield withInput({ ...input, data: input.data.map(() => 1) });
}

/** Candidate simplifications of `p`, valid or not. */
function* candidates(p: FuzzProgram, values: Live[]): Generator<FuzzProgram> {
  if (p.outputs.length > 1) for (const o of p.outputs) yield prune({ ...p, outputs: [o] });
  if (p.grad) {
    yield prune({ ...p, grad: null, outputs: p.outputs.slice(0, 1) });
    if (p.grad.wrt.length > 1) for (const i of p.grad.wrt) yield prune({ ...p, grad: { ...p.grad, wrt: [i] } });
    if (p.grad.withValue) yield { ...p, grad: { ...p.grad, withValue: false } };
  }
  const n = p.inputs.length;
  // Return an earlier value instead: everything after it goes.
  for (let j = 0; j < p.steps.length; j++) if (!p.outputs.includes(n + j)) yield prune({ ...p, outputs: [n + j] });
  // Cut everything before a step: its eager value becomes an input. Later steps cut more.
  for (let j = p.steps.length - 1; j >= 0; j--)
    if (!p.outputs.includes(n + j)) yield promoteToInput(p, n + j, values[n + j]!);
  // Bypass a step: its uses read one of its operands of the same type.
  for (let j = 0; j < p.steps.length; j++) {
    for (const a of p.steps[j]!.args)
      if ('ref' in a && sameType(values[a.ref]!, values[n + j]!)) yield replaceValue(p, n + j, a.ref);
  }
  for (let i = 0; i < n; i++) yield* simplerInputs(p, i);
}

/** Valid candidate simplifications of `p`, lazily. */
export function* shrinkProgram(p: FuzzProgram): Generator<FuzzProgram> {
  const values = analyze(p);
  if (!values) return;
  for (const c of candidates(p, values)) if (analyze(c)) yield c;
}
