/**
 * @file One module through AutoGraph, as both the Node hook and the esbuild plugin do it: skip
 * modules that cannot contain traced code, read `@trace()` method names from the original
 * source, map locations through the source map a TypeScript loader left inline, transform.
 */
import { SourceMap } from 'node:module';
import { autographTransform, decoratedMethodNames, type TransformResult } from './transform.ts';

/** Whether a module may hold functions to convert: it uses kiln-jit, or opts in. */
export function wantsAutograph(source: string): boolean {
  return /['"]kiln-jit['"/]/.test(source) || source.includes('use autograph');
}

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json(?:;charset=[\w-]+)?;base64,([A-Za-z0-9+/=]+)\s*$/;

type MapLocation = (line: number, column: number) => { line: number; column: number } | null;

/** Maps (1-based line, 0-based column) positions through a source map given as JSON text. */
export function sourceMapper(json: string): MapLocation {
  const map = new SourceMap(JSON.parse(json));
  return (line, column) => {
    const entry = map.findEntry(line - 1, column) as { originalLine?: number; originalColumn?: number };
    return entry.originalLine === undefined ? null : { line: entry.originalLine + 1, column: entry.originalColumn! };
  };
}

/** Maps positions of `code` to the original file through its inline source map, if it has one. */
function inlineMapper(code: string): MapLocation | undefined {
  const m = INLINE_MAP.exec(code);
  return m ? sourceMapper(Buffer.from(m[1]!, 'base64').toString('utf8')) : undefined;
}

export interface ModuleInput {
  /** The JS to transform (for TypeScript: the loader's output, ideally with an inline source map). */
  code: string;
  /** The file as the user wrote it, for `@trace()` method names (defaults to `code`). */
  original?: string;
  /** The path errors name. */
  file: string;
  /** Maps positions of `code` to the original, when it has no inline map. */
  mapLocation?: MapLocation;
}

/** Transforms one ES module (unchanged when it has nothing to convert). */
export function autographModule(input: ModuleInput): TransformResult {
  if (!wantsAutograph(input.original ?? input.code)) return { code: input.code, changed: false };
  return autographTransform(input.code, {
    file: input.file,
    decoratedMethods: decoratedMethodNames(input.original ?? input.code),
    mapLocation: input.mapLocation ?? inlineMapper(input.code),
  });
}
