/**
 * @file Progress while the suite runs, on stderr: a cli-progress bar when stderr is a terminal,
 * one plain line per step otherwise (CI logs, pipes), so stdout stays the table alone.
 */
import { SingleBar, Presets } from 'cli-progress';

export interface Progress {
  start(total: number): void;
  /** Starts step `label` (the bar shows it; plain mode prints it). */
  step(label: string): void;
  /** A line of its own, printed above the bar. */
  log(line: string): void;
  stop(): void;
}

/** Progress on `stream`, or none when it is null. */
export function createProgress(stream: NodeJS.WriteStream | null): Progress {
  if (!stream) return { start() {}, step() {}, log() {}, stop() {} };
  return stream.isTTY ? barProgress(stream) : lineProgress(stream);
}

function barProgress(stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar(
    {
      stream,
      format: '{bar} {value}/{total} | {label} | elapsed {duration_formatted}, ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 8,
    },
    Presets.shades_classic,
  );
  let done = 0;
  let label = '';
  return {
    start: (total) => bar.start(total, 0, { label: 'starting' }),
    step: (next) => {
      label = next;
      bar.update(done++, { label });
    },
    log: (line) => {
      bar.stop(); // clears the bar's line (clearOnComplete)
      stream.write(`${line}\n`);
      bar.start(bar.getTotal(), Math.max(done - 1, 0), { label });
    },
    stop: () => {
      bar.update(bar.getTotal());
      bar.stop();
    },
  };
}

function lineProgress(stream: NodeJS.WriteStream): Progress {
  let total = 0;
  let done = 0;
  const started = performance.now();
  return {
    start: (n) => {
      total = n;
    },
    step: (label) => {
      done++;
      stream.write(
        `[${String(done).padStart(String(total).length)}/${total} ${((performance.now() - started) / 1000).toFixed(0)}s] ${label}\n`,
      );
    },
    log: (line) => void stream.write(`${line}\n`),
    stop: () => {},
  };
}
