/**
 * @file The example of README.md's "Using Kiln" section, kept runnable (a test runs it).
 */
import * as k from 'kiln-jit';

// Variables hold the weights; optimizers update them in place (their state is in variables too).
const params = {
  w1: k.variable(k.glorotUniform([784, 128], /* seed */ 1), { name: 'w1' }),
  b1: k.variable(k.zeros([128]), { name: 'b1' }),
  w2: k.variable(k.glorotUniform([128, 10], 2), { name: 'w2' }),
  b2: k.variable(k.zeros([10]), { name: 'b2' }),
};
const opt = k.adam({ learningRate: 1e-3 });

function loss(p: { w1: k.Tensor; b1: k.Tensor; w2: k.Tensor; b2: k.Tensor }, x: k.Tensor, y: k.Tensor) {
  const h = k.relu(k.dense(x, p.w1, p.b1));
  return k.softmaxCrossEntropy(k.dense(h, p.w2, p.b2), y); // y: i32 class indices
}

// Traced once per input signature, then compiled code runs: the JS body is not run again.
const step = k.trace(function trainStep(x: k.Tensor, y: k.Tensor) {
  const [value, grads] = k.valueAndGrad(loss)(params, x, y); // the backward pass is in the same graph
  opt.apply(params, grads); // variable updates become graph updates
  return value;
});

const x = k.randomNormal([32, 784], { seed: 3 });
const y = k.tensor(
  [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9, 5],
  [32],
  'i32',
);
for (let i = 0; i < 100; i++) step(x, y);
console.log(step(x, y).item(), step.tracingCount); // loss, 1
console.log(step.ir(x, y, { stage: 'fused' })); // the IR after fusion
