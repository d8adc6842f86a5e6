// A user's own training script in plain JavaScript, run with plain Node (no loader): trains a
// traced step on Wasm and the same step eagerly from the same start, and prints both losses.
import {
  add,
  matmul,
  mean,
  randomNormal,
  relu,
  runFunctionsEagerly,
  sgd,
  softmaxCrossEntropy,
  tensor,
  trace,
  valueAndGrad,
  variable,
} from 'kiln-jit';

function makeModel() {
  const params = {
    w1: variable(randomNormal([4, 16], { seed: 1 }).mul(0.5)),
    b1: variable(randomNormal([16], { seed: 2 }).mul(0.1)),
    w2: variable(randomNormal([16, 3], { seed: 3 }).mul(0.5)),
  };
  const optimizer = sgd({ learningRate: 0.2 });
  const lossOf = (p, x, y) => mean(softmaxCrossEntropy(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), y));
  const step = trace((x, y) => {
    const [loss, grads] = valueAndGrad((p) => lossOf(p, x, y))(params);
    optimizer.apply(params, grads);
    return loss;
  });
  return step;
}

const x = randomNormal([8, 4], { seed: 9 });
const y = tensor(new Int32Array([0, 1, 2, 0, 1, 2, 0, 1]));
const traced = makeModel();
const tracedLosses = Array.from({ length: 20 }, () => traced(x, y).item());
const report = traced.inspect(x, y);
const tracingCount = traced.tracingCount;
runFunctionsEagerly(true);
const eager = makeModel();
const eagerLosses = Array.from({ length: 20 }, () => eager(x, y).item());
console.log(
  JSON.stringify({
    traced: tracedLosses,
    eager: eagerLosses,
    backend: report.backend,
    kernels: report.stats.kernels,
    tracingCount,
  }),
);
