/**
 * @file `pnpm bench`: the perf-regression suite's command line (see options.ts for the flags).
 * Run with `node scripts/run-ts.mjs benchmarks/src/cli.ts [options]`.
 */
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
