// Run with kill-compile-process.mjs preloaded: the compile process dies during the first compile.
// That call must fail with a clear error and leave nothing half-done; later compiles (of another
// function, and of the same one again) run in the compile worker and give eager's values.
import * as k from 'kiln-jit';

const tanhTwice = (x) => k.tanh(k.mul(x, 2));
const expNeg = (x) => k.exp(k.neg(x));
const f = k.trace(tanhTwice);
const g = k.trace(expNeg);
const x = k.tensor([0.1, -0.5, 2]);
const agrees = (traced, fn) => {
  const want = fn(x).dataSync();
  return traced.every((v, i) => Math.abs(v - want[i]) <= 1e-6);
};
let error = null;
try {
  f(x);
} catch (e) {
  error = `${e.name}: ${e.message.split('\n')[0]}`;
}
const gValues = Array.from(g(x).dataSync());
const fValues = Array.from(f(x).dataSync());
console.log(
  JSON.stringify({
    error,
    g: agrees(gValues, expNeg),
    f: agrees(fValues, tanhTwice),
    offThread: k.compileStats().offThread,
  }),
);
