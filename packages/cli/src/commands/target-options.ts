/**
 * @file The options every command that traces shares: which function, and the argument types.
 */
import type { Command } from 'commander';

/** Adds `--fn` and `--args` to `command`. */
export function addTargetOptions(command: Command): Command {
  return command
    .option(
      '--fn <name>',
      'the traced function: its name, or the variable or Class.method it is bound to (needed when the file has several)',
    )
    .option(
      '--args <types>',
      'argument types to trace with, as the IR prints them: "f32[128,784] i32[128]" (default: its inputSignature)',
    );
}
