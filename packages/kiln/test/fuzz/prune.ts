/**
 * @file Structural edits of programs: dropping what the outputs do not need, and replacing a
 * value by another. Both renumber the remaining values.
 */
import type { FuzzProgram, Operand } from './program.ts';

/** The program without unused steps and inputs (inputs differentiated with respect to stay). */
export function prune(p: FuzzProgram): FuzzProgram {
  const live = new Set<number>([...p.outputs, ...(p.grad?.wrt ?? [])]);
  for (let j = p.steps.length - 1; j >= 0; j--) {
    if (!live.has(p.inputs.length + j)) continue;
    for (const a of p.steps[j]!.args) if ('ref' in a) live.add(a.ref);
  }
  const kept = [...live].sort((a, b) => a - b);
  const index = new Map(kept.map((old, i) => [old, i]));
  const remap = (a: Operand): Operand => ('ref' in a ? { ref: index.get(a.ref)! } : a);
  return {
    inputs: p.inputs.filter((_, i) => live.has(i)),
    steps: p.steps.flatMap((step, j) =>
      live.has(p.inputs.length + j) ? [{ ...step, args: step.args.map(remap) }] : [],
    ),
    outputs: p.outputs.map((o) => index.get(o)!),
    grad: p.grad && { ...p.grad, wrt: p.grad.wrt.map((i) => index.get(i)!) },
  };
}

/** The program with every use of value `from` (a step) reading value `to` instead, pruned. */
export function replaceValue(p: FuzzProgram, from: number, to: number): FuzzProgram {
  const swap = (a: Operand): Operand => ('ref' in a && a.ref === from ? { ref: to } : a);
  return prune({
    ...p,
    steps: p.steps.map((step) => ({ ...step, args: step.args.map(swap) })),
    outputs: p.outputs.map((o) => (o === from ? to : o)),
  });
}
