/**
 * @file Mutations of printed IR, as fast-check arbitraries, for fuzzing the parser: character
 * and token deletions, insertions and replacements, line swaps and duplications, truncation.
 * Positions are stored as plain numbers and taken modulo the text, so they shrink toward the
 * start of the text and toward small edits.
 */
import fc from 'fast-check';

export type Mutation =
  | { kind: 'deleteChars'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replaceToken'; index: number; text: string }
  | { kind: 'deleteToken'; index: number }
  | { kind: 'swapTokens'; a: number; b: number }
  | { kind: 'duplicateToken'; index: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'duplicateLine'; index: number }
  | { kind: 'deleteLine'; index: number }
  | { kind: 'truncate'; at: number };

/** Tokens the IR uses, and some it should reject. */
const TOKENS = [
  '%',
  '%0',
  '%x',
  '%999',
  '@',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '=',
  '<-',
  '#',
  '"',
  '"a\\"b"',
  '\n',
  ' ',
  'graph',
  'return',
  'update',
  'yield',
  'var',
  'const',
  'constant',
  'f32',
  'i32',
  'bool',
  'f64',
  'true',
  'false',
  'add',
  'matmul',
  'sum',
  'reshape',
  'fused.elementwise',
  'fused.reduce',
  'fused.',
  'nosuchop',
  'axes',
  'keepDims',
  'shape',
  '0',
  '1',
  '-1',
  '2.5',
  '1e309',
  '-1e-320',
  '99999999999',
  '4294967297',
  'nan',
  'inf',
  '-inf',
  '.5',
  '1.',
  '1e',
  '0x10',
  'é',
  '\u0000',
];

const TOKEN_PATTERN =
  /%[A-Za-z0-9_.]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z0-9_.]*|"(?:[^"\\]|\\.)*"|<-|\S/g;

function tokenSpans(text: string): [number, number][] {
  return [...text.matchAll(TOKEN_PATTERN)].map((m) => [m.index, m.index + m[0].length]);
}

const at = (n: number, length: number): number => (length === 0 ? 0 : n % length);

function editToken(text: string, index: number, edit: (token: string) => string): string {
  const spans = tokenSpans(text);
  if (spans.length === 0) return text;
  const [s, e] = spans[at(index, spans.length)]!;
  return text.slice(0, s) + edit(text.slice(s, e)) + text.slice(e);
}

function swapTokens(text: string, a: number, b: number): string {
  const spans = tokenSpans(text);
  if (spans.length < 2) return text;
  const [i, j] = [at(a, spans.length), at(b, spans.length)].sort((x, y) => x - y) as [number, number];
  const [si, ei] = spans[i]!;
  const [sj, ej] = spans[j]!;
  if (i === j) return text;
  return text.slice(0, si) + text.slice(sj, ej) + text.slice(ei, sj) + text.slice(si, ei) + text.slice(ej);
}

function editLines(text: string, edit: (lines: string[]) => void): string {
  const lines = text.split('\n');
  edit(lines);
  return lines.join('\n');
}

/** Applies one mutation. */
export function mutate(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'deleteChars': {
      const p = at(m.at, text.length);
      return text.slice(0, p) + text.slice(p + m.length);
    }
    case 'insert': {
      const p = at(m.at, text.length + 1);
      return text.slice(0, p) + m.text + text.slice(p);
    }
    case 'replaceToken':
      return editToken(text, m.index, () => m.text);
    case 'deleteToken':
      return editToken(text, m.index, () => '');
    case 'duplicateToken':
      return editToken(text, m.index, (t) => `${t} ${t}`);
    case 'swapTokens':
      return swapTokens(text, m.a, m.b);
    case 'swapLines':
      return editLines(text, (lines) => {
        const [i, j] = [at(m.a, lines.length), at(m.b, lines.length)];
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      });
    case 'duplicateLine':
      return editLines(text, (lines) => {
        const i = at(m.index, lines.length);
        lines.splice(i, 0, lines[i]!);
      });
    case 'deleteLine':
      return editLines(text, (lines) => lines.splice(at(m.index, lines.length), 1));
    case 'truncate':
      return text.slice(0, at(m.at, text.length));
  }
}

const position = fc.nat({ max: 100_000 });
const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TOKENS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 3, unit: 'binary' }) },
);

/** One random mutation. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('deleteChars' as const), at: position, length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: position, text: token }),
  fc.record({ kind: fc.constant('replaceToken' as const), index: position, text: token }),
  fc.record({ kind: fc.constant('deleteToken' as const), index: position }),
  fc.record({ kind: fc.constant('swapTokens' as const), a: position, b: position }),
  fc.record({ kind: fc.constant('duplicateToken' as const), index: position }),
  fc.record({ kind: fc.constant('swapLines' as const), a: position, b: position }),
  fc.record({ kind: fc.constant('duplicateLine' as const), index: position }),
  fc.record({ kind: fc.constant('deleteLine' as const), index: position }),
  fc.record({ kind: fc.constant('truncate' as const), at: position }),
);

/** One to three mutations of one of `texts`, applied in order. */
export function mutatedIr(
  texts: readonly string[],
): fc.Arbitrary<{ source: number; mutations: Mutation[]; text: string }> {
  return fc
    .record({
      source: fc.nat({ max: texts.length - 1 }),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 3 }),
    })
    .map(({ source, mutations }) => ({ source, mutations, text: mutations.reduce(mutate, texts[source]!) }));
}
