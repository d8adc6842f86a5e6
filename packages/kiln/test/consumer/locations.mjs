// Where a user's plain-JS calls are reported: an eager op's error, an error raised while tracing,
// and one from a traced function's second signature. Prints each error's location and the line
// the marker comment on the failing call is on. `custom` installs a stack formatter first.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { add, matmul, trace, zeros } from 'kiln-jit';

if (process.argv[2] === 'custom')
  Error.prepareStackTrace = (error, sites) => `${error}\n${sites.map((s) => `    at ${s}`).join('\n')}`;

const file = fileURLToPath(import.meta.url);
const lines = readFileSync(file, 'utf8').split('\n');
const lineOf = (marker) => lines.findIndex((l) => l.includes(`// ${marker}`)) + 1;
const where = (run) => {
  try {
    run();
    return null;
  } catch (e) {
    return e.location && { file: e.location.file === file, line: e.location.line, column: e.location.column };
  }
};
const traced = trace((a, b) => add(matmul(a, b), 1)); // TRACED
console.log(
  JSON.stringify({
    eager: { got: where(() => add(zeros([2, 3]), zeros([4]))), line: lineOf('EAGER') }, // EAGER
    traced: { got: where(() => traced(zeros([2, 3]), zeros([4, 5]))), line: lineOf('TRACED') },
  }),
);
