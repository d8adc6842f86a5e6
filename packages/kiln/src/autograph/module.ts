/**
 * @file One module through AutoGraph, as both the Node hook and the esbuild plugin do it: skip
 * modules that cannot contain traced code, read `@trace()` method names from the original
 * source, map locations through the source map a TypeScript loader left inline, transform.
 */
import { SourceMap } from 'node:module';
import { autographTransform, decoratedMethodNames, type TransformResult } from './transform.ts';
import type { RawSourceMap } from './source-map.ts';

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

/** The source map `code` carries inline (a TypeScript loader's), as JSON text, or null. */
function inlineMap(code: string): string | null {
  const m = INLINE_MAP.exec(code);
  return m ? Buffer.from(m[1]!, 'base64').toString('utf8') : null;
}

/** `code` with its inline source map replaced by `map`. */
export function withInlineMap(code: string, map: RawSourceMap): string {
  const base64 = Buffer.from(JSON.stringify(map)).toString('base64');
  return `${code.replace(INLINE_MAP, '').trimEnd()}\n//# sourceMappingURL=data:application/json;base64,${base64}\n`;
}

export interface ModuleInput {
  /** The JS to transform (for TypeScript: the loader's output, ideally with an inline source map). */
  code: string;
  /** The file as the user wrote it, for `@trace()` method names (defaults to `code`). */
  original?: string;
  /** The path errors name. */
  file: string;
  /** The source map of `code` as JSON text, when it has none inline. */
  map?: string;
}

/**
 * Transforms one ES module (unchanged when it has nothing to convert); the result carries an
 * inline source map to the original file, composed with the one the input had.
 */
export function autographModule(input: ModuleInput): TransformResult {
  if (!wantsAutograph(input.original ?? input.code)) return { code: input.code, changed: false };
  const map = input.map ?? inlineMap(input.code);
  const out = autographTransform(input.code, {
    file: input.file,
    decoratedMethods: decoratedMethodNames(input.original ?? input.code),
    mapLocation: map ? sourceMapper(map) : undefined,
    inputMap: map ? (JSON.parse(map) as RawSourceMap) : null,
  });
  return out.changed && out.map ? { ...out, code: withInlineMap(out.code, out.map) } : out;
}
