/**
 * @file Renders DOT to SVG or PNG with the system's Graphviz `dot`.
 */
import { spawnSync } from 'node:child_process';
import { UsageError } from './errors.ts';

export type ImageFormat = 'svg' | 'png';

/** How to get `dot`, for the error when it is missing. */
export const INSTALL_GRAPHVIZ =
  'install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) or use --format dot';

/** Runs `dot -T<format>` on `dot`; a missing `dot` is a UsageError that says how to install it. */
export function renderDot(dot: string, format: ImageFormat): Buffer {
  const run = spawnSync('dot', [`-T${format}`], { input: dot, maxBuffer: 256 * 1024 * 1024 });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new UsageError(
      `--format ${format} needs Graphviz's 'dot' command, which is not installed: ${INSTALL_GRAPHVIZ}`,
    );
  }
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`dot -T${format} failed: ${run.stderr.toString().trim()}`);
  return run.stdout;
}
