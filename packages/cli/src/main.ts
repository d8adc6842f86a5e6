/**
 * @file The `kiln` command line: builds the commander program and maps outcomes to exit codes
 * (0 success, 1 the user's program failed, 2 bad usage). The `kiln` bin runs `main` after
 * loading binaryen; user files may be TypeScript (see ts-loader.ts).
 */
import { Command, CommanderError } from 'commander';
import { ready, registerInternalSource } from 'kiln-jit';
import { EXIT_OK, EXIT_USAGE, ProgramError, UsageError } from './errors.ts';
import { err } from './output.ts';
import { registerList } from './commands/list.ts';
import { registerDump } from './commands/dump.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerGraph } from './commands/graph.ts';

// Frames of the CLI are not the user's: errors and IR locations point past them.
registerInternalSource(import.meta.url);

const VERSION = '0.1.0';

/** The `kiln` program with its four commands; errors are thrown, not exited on. */
export function buildProgram(): Command {
  const program = new Command('kiln')
    .description('Look at what Kiln does to a traced function: list, dump the IR at any stage, inspect, graph.')
    .version(VERSION)
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ outputError: (text, write) => write(err.red(text)) })
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 success, 1 the program being inspected threw while loading or tracing, 2 bad usage',
        "(missing file, syntax error, no such function, bad --args, unknown stage, Graphviz's dot missing).",
        'Output from the program being inspected (console.log) goes to standard error.',
      ].join('\n'),
    );
  registerList(program);
  registerDump(program);
  registerInspect(program);
  registerGraph(program);
  return program;
}

/** Makes the user's console output go to stderr, so stdout carries only the CLI's output (and valid JSON). */
function consoleToStderr(): void {
  for (const method of ['log', 'info', 'debug'] as const) console[method] = console.error;
}

/** Runs the CLI on `args` (without node and script) and returns the exit code. */
export async function main(args: readonly string[]): Promise<number> {
  consoleToStderr();
  // Compile in this thread, so the `wat` stage and compile timings are there to show.
  await ready();
  try {
    await buildProgram().parseAsync([...args], { from: 'user' });
    return EXIT_OK;
  } catch (thrown) {
    // Commander has printed its own message (or the help) already.
    if (thrown instanceof CommanderError) return thrown.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (thrown instanceof UsageError || thrown instanceof ProgramError) {
      process.stderr.write(`${err.red('kiln:')} ${thrown.message}\n`);
      return thrown.exitCode;
    }
    throw thrown;
  }
}
