/**
 * @file What a pass changed, line by line. Passes renumber values, so lines are compared with
 * node value names (`%12`, `%t3`) blanked out: `%7: f32[32] = relu %6` before DCE and
 * `%5: f32[32] = relu %4` after it count as the same line. A longest-common-subsequence diff
 * then marks the lines the pass added (`+`) and removed (`-`).
 */

export interface DiffLine {
  readonly mark: ' ' | '+' | '-';
  readonly text: string;
}

const normalize = (line: string): string => line.replace(/%t*\d+\b/g, '%_');

/** Lines of `after` marked against `before`, with removed lines of `before` interleaved. */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  const a = before.map(normalize);
  const b = after.map(normalize);
  // common[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const common = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] = a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: ' ', text: after[j++]! });
      i++;
    } else if (i < a.length && (j === b.length || common[i + 1]![j]! >= common[i]![j + 1]!)) {
      lines.push({ mark: '-', text: before[i++]! });
    } else {
      lines.push({ mark: '+', text: after[j++]! });
    }
  }
  return lines;
}

/** How many lines were added and removed. */
export function diffSummary(lines: readonly DiffLine[]): { added: number; removed: number } {
  return {
    added: lines.filter((l) => l.mark === '+').length,
    removed: lines.filter((l) => l.mark === '-').length,
  };
}
