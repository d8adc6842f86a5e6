// A user's plain JavaScript with tensor control flow, run as `node --import kiln-jit/autograph
// autograph.mjs` from the installed package: if/else, while and a counted for on tensors.
import { abs, add, mul, scalar, sub, tensor, trace } from 'kiln-jit';

function solve(x, tol, n) {
  let y;
  if (x.sum() > 0) {
    y = mul(x, 2);
  } else {
    y = sub(1, x);
  }
  let err = abs(y).max();
  while (err > tol) {
    y = mul(y, 0.5);
    err = abs(y).max();
  }
  for (let i = 0; i < n; i++) {
    y = add(y, 1);
  }
  return y;
}

const step = trace(solve);
const inputs = [
  [tensor([1, 2]), scalar(0.5), scalar(2, 'i32')],
  [tensor([-3, 1]), scalar(0.1), scalar(5, 'i32')],
];
const values = (t) => Array.from(t.dataSync());
console.log(
  JSON.stringify({
    traced: inputs.map((args) => values(step(...args))),
    eager: inputs.map((args) => values(solve(...args))),
    tracingCount: step.tracingCount,
  }),
);
