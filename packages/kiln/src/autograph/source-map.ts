/**
 * @file Source maps for the AutoGraph rewrite: the rewrite marks where each copied slice of the
 * input lands in the output, and this module turns those marks into a v3 source map, composed
 * with the map the input came with (tsx's or esbuild's), so stack traces in converted
 * TypeScript name the user's line and column.
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map([...B64].map((c, i) => [c, i]));

/** One mapping: a generated column to [source index, original line, original column] (0-based). */
export interface Segment {
  column: number;
  source: number;
  line: number;
  originalColumn: number;
}

export interface RawSourceMap {
  version: 3;
  sources: string[];
  sourcesContent?: (string | null)[];
  names?: string[];
  mappings: string;
  file?: string;
}

function decodeVlq(text: string, at: { i: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const digit = B64_INDEX.get(text[at.i++]!)!;
    result += (digit & 31) << shift;
    shift += 5;
    if (!(digit & 32)) break;
  }
  return result & 1 ? -(result >>> 1) : result >>> 1;
}

function encodeVlq(value: number): string {
  let v = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v) digit |= 32;
    out += B64[digit];
  } while (v);
  return out;
}

/** The segments of each generated line (segments without a source are dropped). */
export function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  const state = { source: 0, line: 0, originalColumn: 0 };
  for (const lineText of mappings.split(';')) {
    const segments: Segment[] = [];
    let column = 0;
    for (const seg of lineText.split(',')) {
      if (!seg) continue;
      const at = { i: 0 };
      const fields: number[] = [];
      while (at.i < seg.length) fields.push(decodeVlq(seg, at));
      column += fields[0]!;
      if (fields.length < 4) continue;
      state.source += fields[1]!;
      state.line += fields[2]!;
      state.originalColumn += fields[3]!;
      segments.push({ column, ...state });
    }
    lines.push(segments);
  }
  return lines;
}

export function encodeMappings(lines: readonly Segment[][]): string {
  const prev = { source: 0, line: 0, originalColumn: 0 };
  return lines
    .map((segments) => {
      let column = 0;
      return [...segments]
        .sort((a, b) => a.column - b.column)
        .map((s) => {
          const text =
            encodeVlq(s.column - column) +
            encodeVlq(s.source - prev.source) +
            encodeVlq(s.line - prev.line) +
            encodeVlq(s.originalColumn - prev.originalColumn);
          column = s.column;
          Object.assign(prev, { source: s.source, line: s.line, originalColumn: s.originalColumn });
          return text;
        })
        .join(',');
    })
    .join(';');
}

/** Offsets of each line's first character. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

/** (line, column), both 0-based, of an offset. */
export function positionOf(starts: readonly number[], offset: number): [number, number] {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return [lo, offset - starts[lo]!];
}

/** A slice of the input copied to the output unchanged. */
export interface CopiedSlice {
  inputStart: number;
  outputStart: number;
  length: number;
}

/**
 * The source map of `output` back to the original files: each copied slice carries over the
 * input map's segments inside it (shifted to where the slice landed), or, with no input map,
 * maps its start to the input itself (as source 0, `inputName`).
 */
export function composeMap(
  input: string,
  output: string,
  slices: readonly CopiedSlice[],
  inputMap: RawSourceMap | null,
  inputName: string,
): RawSourceMap {
  const inStarts = lineStarts(input);
  const outStarts = lineStarts(output);
  const lines: Segment[][] = outStarts.map(() => []);
  const decoded = inputMap ? decodeMappings(inputMap.mappings) : null;
  for (const slice of slices) {
    const shift = (inOffset: number): [number, number] =>
      positionOf(outStarts, slice.outputStart + inOffset - slice.inputStart);
    const [l0, c0] = positionOf(inStarts, slice.inputStart);
    const [l1, c1] = positionOf(inStarts, slice.inputStart + slice.length);
    if (!decoded) {
      const [ol, oc] = shift(slice.inputStart);
      lines[ol]!.push({ column: oc, source: 0, line: l0, originalColumn: c0 });
      continue;
    }
    for (let line = l0; line <= l1 && line < decoded.length; line++) {
      for (const seg of decoded[line]!) {
        if ((line === l0 && seg.column < c0) || (line === l1 && seg.column >= c1)) continue;
        const [ol, oc] = shift(inStarts[line]! + seg.column);
        lines[ol]!.push({ ...seg, column: oc });
      }
    }
  }
  return {
    version: 3,
    sources: inputMap ? inputMap.sources : [inputName],
    ...(inputMap?.sourcesContent ? { sourcesContent: inputMap.sourcesContent } : {}),
    names: [],
    mappings: encodeMappings(lines),
  };
}
