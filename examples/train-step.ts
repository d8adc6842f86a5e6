/**
 * @file A training step to look at with the `kiln` CLI: a 784 -> 128 -> 10 MLP classifier (the
 * shape of an MNIST model) trained with SGD on batches of 32. Its training step is a traced
 * method and its prediction a traced function, both with an inputSignature, so the CLI can trace
 * them without data:
 *
 *   pnpm kiln list examples/train-step.ts
 *   pnpm kiln dump examples/train-step.ts --fn trainStep --stage fused --loc
 *   pnpm kiln inspect examples/train-step.ts --fn trainStep
 *   pnpm kiln graph examples/train-step.ts --fn trainStep --format svg -o train-step.svg
 *
 * Run it directly (`node scripts/run-ts.mjs examples/train-step.ts`) to train on random data.
 */
import { pathToFileURL } from 'node:url';
import {
  add,
  argmax,
  glorotUniform,
  matmul,
  randomNormal,
  randomUniform,
  relu,
  sgd,
  softmaxCrossEntropy,
  trace,
  valueAndGrad,
  Variable,
  zeros,
  cast,
  type Tensor,
  type TensorLike,
} from 'kiln-jit';

const BATCH = 32;
const SIZES = [784, 128, 10] as const;

/** One dense layer's weights and bias. */
interface Layer {
  w: Variable;
  b: Variable;
}

/** Logits of the MLP for a batch `x`: relu after the hidden layer. */
function forward(layers: readonly { w: TensorLike; b: TensorLike }[], x: Tensor): Tensor {
  const hidden = relu(add(matmul(x, layers[0]!.w), layers[0]!.b));
  return add(matmul(hidden, layers[1]!.w), layers[1]!.b);
}

/** The classifier: its weights live in Variables, so a traced step captures and updates them. */
export class Classifier {
  readonly layers: Layer[];
  readonly optimizer = sgd({ learningRate: 0.1 });

  constructor(seed: number) {
    this.layers = SIZES.slice(1).map((out, i) => ({
      w: new Variable(glorotUniform([SIZES[i]!, out], seed + i), { name: `w${i + 1}` }),
      b: new Variable(zeros([out]), { name: `b${i + 1}` }),
    }));
  }

  /** One SGD step on a batch; returns the mean cross-entropy before the update. */
  @trace({
    inputSignature: [
      { shape: [BATCH, 784], dtype: 'f32' },
      { shape: [BATCH], dtype: 'i32' },
    ],
  })
  trainStep(x: Tensor, y: Tensor): Tensor {
    const lossOf = (layers: { w: Tensor; b: Tensor }[]) => softmaxCrossEntropy(forward(layers, x), y);
    const [loss, grads] = valueAndGrad(lossOf)(this.layers);
    this.optimizer.apply(this.layers, grads);
    return loss;
  }
}

/** The model the CLI finds: a decorated method is traced per instance, so one must exist. */
export const model = new Classifier(0);

/** The predicted class of each example of a batch. */
export const predict = trace(
  function predict(x: Tensor): Tensor {
    return argmax(forward(model.layers, x), -1);
  },
  { inputSignature: [{ shape: [BATCH, 784], dtype: 'f32' }] },
);

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const x = randomNormal([BATCH, 784], { seed: 1 });
  const y = cast(randomUniform([BATCH], { seed: 2, max: 10 }), 'i32');
  for (let step = 1; step <= 20; step++) {
    const loss = model.trainStep(x, y).item() as number;
    if (step % 5 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}`);
  }
  console.log('predicted classes:', Array.from(predict(x).dataSync()).join(' '));
}
