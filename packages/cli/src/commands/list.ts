/**
 * @file `kiln list <file>`: the traced functions a file defines, read from its source with
 * ts-morph (the file is not run).
 */
import type { Command } from 'commander';
import { findTracedFunctions, type TracedSource } from '../source/find-traced.ts';
import { resolveUserFile } from '../load-module.ts';
import { displayPath } from '../errors.ts';
import { out, print, printJson } from '../output.ts';
import { formatTable } from '../table.ts';

interface ListOptions {
  json?: boolean;
}

function listText(found: readonly TracedSource[], file: string): string {
  if (found.length === 0) return `no trace() calls or @trace() methods in ${file}`;
  const rows = found.map((f) => [f.name, f.kind, `${file}:${f.line}`, f.symbol ?? '', f.inputSignature ?? '']);
  return formatTable(['name', 'kind', 'location', 'defined as', 'input signature'], rows, out);
}

/** Registers `list` on the program. */
export function registerList(program: Command): void {
  program
    .command('list')
    .description('list the traced functions of a file: every trace(...) call and @trace() method, read from the source')
    .argument('<file>', 'a TypeScript or JavaScript file')
    .option('--json', 'print the list as JSON')
    .addHelpText('after', '\nExample:\n  kiln list examples/train-step.ts')
    .action((fileArg: string, options: ListOptions) => {
      const path = resolveUserFile(fileArg);
      const file = displayPath(path);
      const found = findTracedFunctions(path);
      if (options.json) printJson(found.map((f) => ({ ...f, file })));
      else print(listText(found, file));
    });
}
