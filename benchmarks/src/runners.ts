/**
 * @file A runner is one workload set up in one mode, ready to be called: eager calls the Kiln
 * function directly, traced modes wrap it in trace() with that backend (the Wasm rows each under
 * their own thread count), peers run the tfjs or jax-js version. Creating a runner makes the
 * first call, which is timed (trace + compile for traced modes).
 */
import { flatten, Tensor, trace, type Traced } from 'kiln-jit';
import { loadJax } from './peers/jax.ts';
import { activatePeer } from './peers/tfjs.ts';
import { withThreads } from './threads.ts';
import {
  baseMode,
  isKilnMode,
  isTfjsMode,
  threadsOf,
  type KilnMode,
  type Mode,
  type PeerMode,
  type PeerProgram,
  type Workload,
} from './workloads/index.ts';

export interface Runner {
  /** One call of the workload. */
  call(): void;
  /** The numbers of the last call's output. */
  result(): Float32Array;
  /** Milliseconds of the first call (for traced modes: trace, passes, compile and one run). */
  readonly firstCallMs: number;
  /** Backend figures of the compiled function (traced modes): kernels, code and frame bytes. */
  readonly stats?: Readonly<Record<string, number>>;
  dispose(): void;
}

/** The workload can be run in this mode (a peer needs its library's version of it). */
export function supports(workload: Workload, mode: Mode): boolean {
  if (isKilnMode(mode)) return true;
  const version = isTfjsMode(mode) ? workload.tfjs : workload.jax;
  return version !== undefined && workload.unsupportedPeers?.[mode] === undefined;
}

export async function createRunner(workload: Workload, mode: Mode): Promise<Runner> {
  return isKilnMode(mode) ? kilnRunner(workload, mode) : peerRunner(workload, mode);
}

/** Calls in a chain before it restarts from the workload's own input. */
export const CHAIN_LENGTH = 8;

function kilnRunner(workload: Workload, mode: KilnMode): Runner {
  // Every step of a Wasm row, from tracing to reading the result, runs under its thread count.
  const threads = threadsOf(mode);
  const under = <T>(f: () => T): T => withThreads(threads, f);
  const backend = baseMode(mode);
  const program = workload.kiln();
  const fn =
    backend === 'eager'
      ? program.fn
      : under(() => trace(program.fn, { backend, name: workload.id.replace(/\W/g, '_') }));
  let output: unknown;
  const start = performance.now();
  output = under(() => fn(...program.args));
  const firstCallMs = performance.now() - start;
  const stats = backend === 'eager' ? undefined : under(() => (fn as Traced<typeof fn>).inspect(...program.args).stats);
  const [first, ...rest] = program.args;
  let chained = output;
  let links = 0;
  const call =
    program.timedUse === 'read'
      ? () => {
          // The previous result is disposed, as the peers dispose theirs (tf.tidy, jax-js's
          // reference counts); the last one stays for the check.
          disposeTensors(output);
          program.read((output = fn(...program.args)));
        }
      : program.timedUse === 'chain'
        ? () => {
            // A chain restarts from the first argument every CHAIN_LENGTH calls: iterated without
            // end, GELU drives its negative inputs through the denormals to zero, and a timing
            // would then measure the CPU's denormal assists, not the call.
            const from = links++ % CHAIN_LENGTH === 0 ? first : chained;
            output = fn(from, ...rest);
            if (chained !== first) (chained as Tensor).dispose();
            chained = output;
          }
        : () => void (output = fn(...program.args));
  return {
    firstCallMs,
    stats,
    call: threads === null ? call : () => under(call),
    result: () => under(() => program.read(output)),
    dispose: () => {
      if (backend !== 'eager') (fn as Traced<typeof fn>).clearCache();
    },
  };
}

/** Disposes every tensor leaf of a call's output (never a variable's: those are the workload's). */
function disposeTensors(output: unknown): void {
  for (const leaf of flatten(output, (x) => x instanceof Tensor).leaves) if (leaf instanceof Tensor) leaf.dispose();
}

async function peerProgram(workload: Workload, mode: PeerMode): Promise<PeerProgram> {
  if (isTfjsMode(mode)) {
    if (!workload.tfjs) throw new Error(`${workload.id} has no TensorFlow.js version`);
    return workload.tfjs(await activatePeer(mode));
  }
  if (!workload.jax) throw new Error(`${workload.id} has no jax-js version`);
  return workload.jax(await loadJax());
}

async function peerRunner(workload: Workload, mode: PeerMode): Promise<Runner> {
  const program = await peerProgram(workload, mode);
  let output: Float32Array;
  const start = performance.now();
  output = program.run();
  const firstCallMs = performance.now() - start;
  return {
    firstCallMs,
    call: () => void (output = program.run()),
    result: () => output,
    dispose: () => program.dispose(),
  };
}
