// A user's own training script, in a project that installed kiln-jit from its tarballs.
// The packed-package test type-checks it (tsc, strict) and runs it through the kiln CLI.
import {
  add,
  matmul,
  mean,
  relu,
  sgd,
  softmaxCrossEntropy,
  trace,
  valueAndGrad,
  Variable,
  randomNormal,
} from 'kiln-jit';
import type { Tensor } from 'kiln-jit';

export class Classifier {
  readonly w1 = new Variable(randomNormal([4, 16], { seed: 1 }).mul(0.5), { name: 'w1' });
  readonly b1 = new Variable(randomNormal([16], { seed: 2 }).mul(0.1), { name: 'b1' });
  readonly w2 = new Variable(randomNormal([16, 3], { seed: 3 }).mul(0.5), { name: 'w2' });
  readonly optimizer = sgd({ learningRate: 0.2 });

  @trace({ inputSignature: [{ shape: [8, 4] }, { shape: [8], dtype: 'i32' }] })
  step(x: Tensor, labels: Tensor): Tensor {
    const params = { w1: this.w1, b1: this.b1, w2: this.w2 };
    const lossOf = (p: typeof params): Tensor =>
      mean(softmaxCrossEntropy(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), labels));
    const [loss, grads] = valueAndGrad(lossOf)(params);
    this.optimizer.apply(params, grads);
    return loss;
  }
}

export const model = new Classifier();
