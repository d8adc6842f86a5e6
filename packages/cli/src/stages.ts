/**
 * @file Stage names the CLI accepts (`traced`, each pass, the alias stages the passes mark, such
 * as `optimized`, `fused`, `planned`, and backend stages such as `wat`) and picking a stage's graph out of a pipeline.
 */
import { aliasStageNames, availableBackends, getBackend, passNames, type Graph, type Stage } from 'kiln-jit';
import { UsageError } from './errors.ts';

/** Every stage name a traced function can have, in pipeline order. */
export function knownStages(): string[] {
  const backendStages = availableBackends().flatMap((b) => getBackend(b).stages);
  return [...new Set(['traced', ...passNames(), ...aliasStageNames(), ...backendStages])];
}

/** Whether `name` is an IR stage (not backend text such as wat). */
export function isGraphStage(name: string): boolean {
  return name === 'traced' || passNames().includes(name) || aliasStageNames().includes(name);
}

/** Throws a UsageError unless `name` is a stage (`allowText: false` also refuses backend text such as wat). */
export function checkStageName(name: string, { allowText = true } = {}): void {
  if (isGraphStage(name)) return;
  const known = knownStages();
  if (!known.includes(name)) throw new UsageError(`unknown stage '${name}'; stages: ${known.join(', ')}`);
  if (!allowText)
    throw new UsageError(
      `stage '${name}' is backend text, not an IR graph; graph stages: ${known.filter(isGraphStage).join(', ')}`,
    );
}

/** The graph at stage `name` (the last stage of that name), or a UsageError listing the ones there are. */
export function graphAt(stages: readonly Stage[], name: string, fnName: string): Graph {
  const stage = [...stages].reverse().find((s) => s.name === name);
  if (stage) return stage.graph;
  throw new UsageError(`${fnName} has no stage '${name}' (its pipeline: ${stages.map((s) => s.name).join(', ')})`);
}

/** The stages that ran something: `traced` and each pass, without the aliases. */
export function passStages(stages: readonly Stage[]): Stage[] {
  const aliases = aliasStageNames();
  return stages.filter((s) => !aliases.includes(s.name));
}
