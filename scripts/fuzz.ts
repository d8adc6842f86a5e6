/**
 * @file `pnpm fuzz [--count N] [--seed S]`: checks N random programs (default 1000) eager vs
 * traced on the interpreter and on Wasm, passes on and off, and prints each failure shrunk to a
 * minimal program with its IR. Exits 1 if any program fails.
 */
import { fuzz } from '../packages/kiln/test/fuzz/fuzz.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v)) {
    console.error(`fuzz: --${name} needs an integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

const count = option('count', 1000);
const seed = option('seed', Date.now() % 1_000_000);
const t0 = performance.now();
console.log(`fuzz: ${count} programs from seed ${seed}`);
const failures = fuzz({
  seed,
  count,
  onProgram(i, failure) {
    if (failure)
      console.log(`\n#${i} (seed ${failure.seed}) FAILED after ${failure.shrinks} shrinks\n${failure.report}\n`);
    if ((i + 1) % 100 === 0 || i + 1 === count) {
      console.log(`fuzz: ${i + 1}/${count} programs, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  },
});
const seconds = ((performance.now() - t0) / 1000).toFixed(1);
console.log(
  `fuzz: ${count} programs from seed ${seed} in ${seconds} s: ${failures.length} mismatch(es)` +
    (failures.length ? ` (seeds ${failures.map((f) => f.seed).join(', ')})` : ''),
);
process.exit(failures.length ? 1 : 0);
