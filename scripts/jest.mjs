#!/usr/bin/env node
// Runs jest in ESM mode and ends with a plain "N passed, N failed" line that CI can read.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const jestBin = createRequire(pathToFileURL(join(root, 'package.json'))).resolve('jest/bin/jest');
const resultFile = join(mkdtempSync(join(tmpdir(), 'kiln-jest-')), 'result.json');
const args = [
  '--experimental-vm-modules',
  '--enable-source-maps',
  '--no-warnings=ExperimentalWarning',
  jestBin,
  '--json',
  `--outputFile=${resultFile}`,
  ...process.argv.slice(2),
];
// The suite verifies the IR after every pass of every trace (users' traces verify the final graph).
const env = { ...process.env, KILN_VERIFY: process.env.KILN_VERIFY ?? 'each' };
const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
let summary = 'jest wrote no result';
try {
  const r = JSON.parse(readFileSync(resultFile, 'utf8'));
  summary =
    `${r.numPassedTests} passed, ${r.numFailedTests} failed` +
    (r.numFailedTestSuites ? ` (${r.numFailedTestSuites} suites failed)` : '');
} catch {
  /* jest crashed before writing; its own output says why */
}
console.log(summary);
process.exit(run.status ?? 1);
