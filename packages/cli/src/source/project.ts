/**
 * @file The ts-morph project the CLI reads user files with: TypeScript and JavaScript, parsed
 * on their own (no type checking, no imports followed), and their syntax errors.
 */
import { Project, ts, type SourceFile } from 'ts-morph';
import { UsageError, formatLocation } from '../errors.ts';

let project: Project | null = null;

function theProject(): Project {
  return (project ??= new Project({
    compilerOptions: { allowJs: true, noLib: true, noResolve: true, target: ts.ScriptTarget.ES2022 },
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
  }));
}

/** The parsed source file at an absolute `path` (read once, then cached). */
export function sourceFileAt(path: string): SourceFile {
  return theProject().getSourceFile(path) ?? theProject().addSourceFileAtPath(path);
}

/**
 * Throws a UsageError `file:line:col: message` for the first syntax error of the file, so a
 * broken file is reported before the CLI tries to run it.
 */
export function checkSyntax(path: string): void {
  const file = sourceFileAt(path);
  const [first] = theProject().getProgram().getSyntacticDiagnostics(file);
  if (!first) return;
  const start = first.getStart() ?? 0;
  const { line, column } = file.getLineAndColumnAtPos(start);
  const message = ts.flattenDiagnosticMessageText(first.compilerObject.messageText, ' ');
  throw new UsageError(`${formatLocation({ file: path, line, column })}: syntax error: ${message}`);
}
