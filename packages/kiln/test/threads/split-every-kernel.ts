/**
 * @file For a test file: KILN_PARALLEL_MIN_WORK=0 while it runs, so that every kernel that can be
 * split is, even in small programs, and KILN_WARM_CALLS=0, so that even an executable's first
 * calls run split; restored after (jest runs other files in the same process).
 */
import { afterAll, beforeAll } from '@jest/globals';

const SETTINGS = { KILN_PARALLEL_MIN_WORK: '0', KILN_WARM_CALLS: '0' };

export function splitEveryKernel(): void {
  const saved = new Map<string, string | undefined>();
  beforeAll(() => {
    for (const [name, value] of Object.entries(SETTINGS)) {
      saved.set(name, process.env[name]);
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
