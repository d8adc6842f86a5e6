/**
 * @file A runner is one workload set up in one mode, ready to be called: eager calls the Kiln
 * function directly, traced modes wrap it in trace() with that backend, peers run the tfjs
 * version. Creating a runner makes the first call, which is timed (trace + compile for traced
 * modes).
 */
import { trace, type Tensor, type Traced } from 'kiln-jit';
import { activatePeer } from './peers/tfjs.ts';
import { isKilnMode, type KilnMode, type Mode, type PeerMode, type Workload } from './workloads/index.ts';

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

/** The workload can be run in this mode (peers need a tfjs version). */
export function supports(workload: Workload, mode: Mode): boolean {
  return isKilnMode(mode) || (workload.tfjs !== undefined && workload.unsupportedPeers?.[mode] === undefined);
}

export async function createRunner(workload: Workload, mode: Mode): Promise<Runner> {
  return isKilnMode(mode) ? kilnRunner(workload, mode) : peerRunner(workload, mode);
}

function kilnRunner(workload: Workload, mode: KilnMode): Runner {
  const program = workload.kiln();
  const fn =
    mode === 'eager' ? program.fn : trace(program.fn, { backend: mode, name: workload.id.replace(/\W/g, '_') });
  let output: unknown;
  const start = performance.now();
  output = fn(...program.args);
  const firstCallMs = performance.now() - start;
  const stats = mode === 'eager' ? undefined : (fn as Traced<typeof fn>).inspect(...program.args).stats;
  const [first, ...rest] = program.args;
  let chained = output;
  const call =
    program.timedUse === 'read'
      ? () => void program.read((output = fn(...program.args)))
      : program.timedUse === 'chain'
        ? () => {
            output = fn(chained, ...rest);
            if (chained !== first) (chained as Tensor).dispose();
            chained = output;
          }
        : () => void (output = fn(...program.args));
  return {
    firstCallMs,
    stats,
    call,
    result: () => program.read(output),
    dispose: () => {
      if (mode !== 'eager') (fn as Traced<typeof fn>).clearCache();
    },
  };
}

async function peerRunner(workload: Workload, mode: PeerMode): Promise<Runner> {
  if (!workload.tfjs) throw new Error(`${workload.id} has no TensorFlow.js version`);
  const tf = await activatePeer(mode);
  const program = workload.tfjs(tf);
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
