/**
 * The fuzzer's fixed-seed batch on Wasm with every splittable kernel split
 * (KILN_PARALLEL_MIN_WORK=0), run on 1 thread and on 2: both agree with eager.
 */
import { describe, it } from '@jest/globals';
import { splitEveryKernel } from './threads/split-every-kernel.ts';
import { fuzz } from './fuzz/fuzz.ts';
import { MODES } from './fuzz/check.ts';
import { setNumThreads } from '../src/index.ts';

const SEED = 20_251_125;
const COUNT = 500;
const WASM_MODES = MODES.filter((m) => m.options.backend === 'wasm');
splitEveryKernel();

describe.each([1, 2])('differential fuzzing with kernels split, on %i thread(s)', (threads) => {
  it(`finds no mismatch in ${COUNT} programs from seed ${SEED}`, () => {
    setNumThreads(threads);
    const failures = fuzz({ seed: SEED, count: COUNT, shrinkMs: 30_000, modes: WASM_MODES });
    if (failures.length) throw new Error(failures.map((f) => `seed ${f.seed}:\n${f.report}`).join('\n\n'));
  }, 300_000);
});
