/**
 * @file Loads the user's module (TypeScript through tsx, registered on first use, or JavaScript)
 * so that its traced functions exist: a file that is missing or not a module is a usage error;
 * code that throws while loading is a failure of the user's program.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { asProgramStep, UsageError } from './errors.ts';
import { checkSyntax } from './source/project.ts';
import { prepareLoaderFor } from './ts-loader.ts';

const MODULE_EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx'];

/** The absolute path of `file`, checked to be an existing, syntactically valid TS or JS file. */
export function resolveUserFile(file: string): string {
  const path = resolve(process.cwd(), file);
  if (!existsSync(path)) throw new UsageError(`no such file: ${file}`);
  if (!statSync(path).isFile()) throw new UsageError(`not a file: ${file}`);
  if (!MODULE_EXTENSIONS.includes(extname(path))) {
    throw new UsageError(`${file}: expected a TypeScript or JavaScript file (${MODULE_EXTENSIONS.join(', ')})`);
  }
  checkSyntax(path);
  return path;
}

/** Imports the module at absolute `path`; what it throws becomes a ProgramError. */
export async function loadUserModule(path: string, displayName: string): Promise<void> {
  await prepareLoaderFor(path);
  await asProgramStep(`loading ${displayName} failed`, () => import(pathToFileURL(path).href));
}
