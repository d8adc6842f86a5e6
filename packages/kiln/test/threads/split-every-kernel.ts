/**
 * @file For a test file: KILN_PARALLEL_MIN_WORK=0 while it runs, so that every kernel that can be
 * split is, even in small programs; restored after (jest runs other files in the same process).
 */
import { afterAll, beforeAll } from '@jest/globals';

export function splitEveryKernel(): void {
  let saved: string | undefined;
  beforeAll(() => {
    saved = process.env.KILN_PARALLEL_MIN_WORK;
    process.env.KILN_PARALLEL_MIN_WORK = '0';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.KILN_PARALLEL_MIN_WORK;
    else process.env.KILN_PARALLEL_MIN_WORK = saved;
  });
}
