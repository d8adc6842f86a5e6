/**
 * @file `kiln graph <file>`: the IR as a Graphviz graph (DOT text, or SVG/PNG through `dot`).
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../errors.ts';
import { checkStageName, graphAt } from '../stages.ts';
import { openTarget, stagesOf, type TargetOptions } from '../target.ts';
import { graphToDot } from '../dot.ts';
import { renderDot } from '../render.ts';
import { addTargetOptions } from './target-options.ts';

type Format = 'dot' | 'svg' | 'png';
const FORMATS: readonly Format[] = ['dot', 'svg', 'png'];

interface GraphOptions extends TargetOptions {
  stage: string;
  format?: Format;
  output?: string;
}

/** The format asked for, else the output file's extension, else DOT. */
function formatOf(options: GraphOptions): Format {
  if (options.format) return options.format;
  const ext = options.output ? extname(options.output).slice(1) : '';
  return (FORMATS as readonly string[]).includes(ext) ? (ext as Format) : 'dot';
}

async function graph(fileArg: string, options: GraphOptions): Promise<void> {
  checkStageName(options.stage, { allowText: false });
  const format = formatOf(options);
  if (format === 'png' && !options.output && process.stdout.isTTY)
    throw new UsageError('PNG is binary: write it to a file with -o FILE');
  const target = await openTarget(fileArg, options);
  const dot = graphToDot(graphAt(await stagesOf(target), options.stage, target.fn.traceName));
  const data = format === 'dot' ? dot : renderDot(dot, format);
  if (options.output) writeFileSync(options.output, data);
  else process.stdout.write(data);
}

/** Registers `graph` on the program. */
export function registerGraph(program: Command): void {
  addTargetOptions(program.command('graph'))
    .description('draw the IR as a Graphviz graph: fused groups as clusters, source locations as tooltips')
    .argument('<file>', 'a TypeScript or JavaScript file')
    .option('--stage <stage>', 'the IR stage to draw: traced, a pass name, optimized, fused or planned', 'fused')
    .addOption(
      new Option(
        '--format <format>',
        "dot, or svg/png rendered by Graphviz's dot (default: -o's extension, else dot)",
      ).choices(FORMATS),
    )
    .option('-o, --output <file>', 'write to FILE instead of standard output')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  kiln graph examples/train-step.ts --fn trainStep -o train-step.svg',
        '  kiln graph examples/train-step.ts --fn predict --stage traced --format dot | dot -Tpng > predict.png',
        '',
        "svg and png need Graphviz's dot (Debian/Ubuntu: apt-get install graphviz).",
      ].join('\n'),
    )
    .action(graph);
}
