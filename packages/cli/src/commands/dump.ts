/**
 * @file `kiln dump <file>`: the IR of a traced function after a named stage, or after every pass
 * with what each one changed marked.
 */
import { Option, type Command } from 'commander';
import { getBackend, getDefaultBackend, printGraph, type Stage } from 'kiln-jit';
import { asProgramStep, UsageError } from '../errors.ts';
import { checkStageName, graphAt, isGraphStage, passStages } from '../stages.ts';
import { openTarget, stagesOf, type Target, type TargetOptions } from '../target.ts';
import { diffLines, diffSummary, type DiffLine } from '../ir-diff.ts';
import { out, print, printJson } from '../output.ts';
import { addTargetOptions } from './target-options.ts';

interface DumpOptions extends TargetOptions {
  stage: string;
  allStages?: boolean;
  loc?: boolean;
  json?: boolean;
}

/** One pass's output with its changes marked against the stage before it. */
interface StageDump {
  readonly name: string;
  readonly ms: number;
  readonly nodes: number;
  readonly changed: boolean;
  readonly added: number;
  readonly removed: number;
  readonly ir: string;
  readonly lines: readonly DiffLine[];
}

const irLines = (ir: string): string[] => ir.trimEnd().split('\n');

function stageDumps(stages: readonly Stage[], loc: boolean): StageDump[] {
  let previous: string[] = [];
  return passStages(stages).map((stage, i) => {
    const ir = printGraph(stage.graph, { loc });
    const lines =
      i === 0 ? irLines(ir).map((text): DiffLine => ({ mark: ' ', text })) : diffLines(previous, irLines(ir));
    const { added, removed } = diffSummary(lines);
    previous = irLines(ir);
    return {
      name: stage.name,
      ms: stage.ms,
      nodes: stage.graph.nodes.length,
      changed: added + removed > 0,
      added,
      removed,
      ir,
      lines,
    };
  });
}

function stageHeader(d: StageDump, first: boolean): string {
  const time = first ? '' : ` (${d.ms.toFixed(2)} ms)`;
  const change = first ? '' : d.changed ? `, changed: -${d.removed} +${d.added} lines` : ', unchanged';
  return out.bold(out.cyan(`=== ${d.name}${time}: ${d.nodes} nodes${change} ===`));
}

const markLine = (l: DiffLine): string =>
  l.mark === '+' ? out.green(`+ ${l.text}`) : l.mark === '-' ? out.red(`- ${l.text}`) : `  ${l.text}`;

function allStagesText(dumps: readonly StageDump[]): string {
  return dumps
    .flatMap((d, i) => [stageHeader(d, i === 0), ...(i === 0 || d.changed ? d.lines.map(markLine) : [])])
    .join('\n');
}

/** The backend text of a stage such as wat, checked to exist for the function's backend. */
function backendStageText(target: Target, stage: string): Promise<string> {
  const backend = target.fn.options.backend ?? getDefaultBackend();
  if (!getBackend(backend).stages.includes(stage)) {
    throw new UsageError(`${target.fn.traceName} runs on the '${backend}' backend, which has no stage '${stage}'`);
  }
  return asProgramStep(`compiling ${target.fn.traceName} failed`, () => target.fn.ir(...target.specs, { stage }));
}

async function dump(fileArg: string, options: DumpOptions): Promise<void> {
  checkStageName(options.stage);
  const target = await openTarget(fileArg, options);
  const name = target.fn.traceName;
  if (options.allStages) {
    const dumps = stageDumps(await stagesOf(target), options.loc ?? false);
    if (options.json) printJson({ function: name, file: target.file, stages: dumps.map(({ lines: _, ...d }) => d) });
    else print(allStagesText(dumps));
    return;
  }
  const ir = isGraphStage(options.stage)
    ? printGraph(graphAt(await stagesOf(target), options.stage, name), { loc: options.loc ?? false })
    : await backendStageText(target, options.stage);
  if (options.json) printJson({ function: name, file: target.file, stage: options.stage, ir });
  else print(ir);
}

/** Registers `dump` on the program. */
export function registerDump(program: Command): void {
  addTargetOptions(program.command('dump'))
    .description(
      'print the IR of a traced function after a stage, traced abstractly from its inputSignature or --args (no data needed)',
    )
    .argument('<file>', 'a TypeScript or JavaScript file')
    .option(
      '--stage <stage>',
      'traced, a pass (constantFold, simplify, cse, dce, fuse, planMemory), optimized, fused, planned, or wat',
      'optimized',
    )
    .addOption(
      new Option(
        '--all-stages',
        'print the IR after every pass, marking the lines each pass removed (-) and added (+)',
      ).conflicts('stage'),
    )
    .option('--loc', "show each node's source location (the user's file:line recorded while tracing)")
    .option('--json', 'print JSON: the IR text with the function, file and stage')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  kiln dump examples/train-step.ts --fn trainStep --stage fused --loc',
        '  kiln dump examples/train-step.ts --fn predict --args "f32[8,784]" --stage traced',
        '  kiln dump examples/train-step.ts --fn trainStep --all-stages',
      ].join('\n'),
    )
    .action(dump);
}
