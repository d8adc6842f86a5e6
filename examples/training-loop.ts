/**
 * @file The example of README.md's "Training loops" section, kept runnable (a test runs it): a
 * dataset, a learning-rate schedule, gradient clipping, dropout and a checkpoint, with a traced
 * training step that traces once per batch shape.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k from 'kiln-jit';

// 200 points in 4 dimensions; the class is the quadrant of the first two coordinates.
const x = k.randomUniform([200, 4], { seed: 0, min: -1, max: 1 });
const [x0, x1] = [k.slice(x, [0, 0], [-1, 1]), k.slice(x, [0, 1], [-1, 1])];
const y = k.reshape(k.add(k.cast(k.greater(x0, 0), 'i32'), k.mul(k.cast(k.greater(x1, 0), 'i32'), 2)), [200]);
const dataset = k.data.fromTensors({ x, y }).shuffle(/* seed */ 1).batch(64); // 64, 64, 64, 8

const params = {
  w1: k.variable(k.heNormal([4, 32], 2), { name: 'w1' }),
  b1: k.variable(k.zeros([32]), { name: 'b1' }),
  w2: k.variable(k.glorotUniform([32, 4], 3), { name: 'w2' }),
  b2: k.variable(k.zeros([4]), { name: 'b2' }),
};
// Warm up for 10 steps to 0.02, then a cosine decay over 90 steps; AdamW decays the weights too.
const schedule = k.linearWarmup(k.cosineDecay({ initialValue: 0.02, decaySteps: 90 }), { warmupSteps: 10 });
const opt = k.adamw(schedule, { weightDecay: 1e-4 });
const rng = k.random.generator(4); // its state is a variable the traced step advances

type Params = { [K in keyof typeof params]: k.Tensor };
function loss(p: Params, xb: k.Tensor, yb: k.Tensor): k.Tensor {
  const h = k.dropout(k.relu(k.dense(xb, p.w1, p.b1)), 0.1, rng); // a new mask on every call
  return k.softmaxCrossEntropy(k.dense(h, p.w2, p.b2), yb);
}

const trainStep = k.trace(function trainStep(xb: k.Tensor, yb: k.Tensor) {
  const [value, grads] = k.valueAndGrad(loss)(params, xb, yb);
  opt.apply(params, k.clipByGlobalNorm(grads, 1.0));
  return value;
});

const dir = mkdtempSync(join(tmpdir(), 'kiln-example-'));
const checkpoint = join(dir, 'model.safetensors');
for (let epoch = 1; epoch <= 25; epoch++) {
  let total = 0;
  for (const batch of dataset) total += (trainStep(batch.x, batch.y).item() as number) * batch.x.shape[0]!;
  if (epoch % 5 === 0) {
    // Parameters, AdamW's moments and step count, and the generator's state, in one safetensors file.
    k.saveCheckpoint(checkpoint, { params, optimizer: opt, variables: { rng: rng.state } });
    console.log(`epoch ${epoch}: loss ${(total / x.shape[0]!).toFixed(4)}`);
  }
}
const logits = k.dense(k.relu(k.dense(x, params.w1, params.b1)), params.w2, params.b2);
const accuracy = k.mean(k.cast(k.equal(k.argmax(logits, 1), y), 'f32')).item() as number;
console.log(
  `accuracy ${(accuracy * 100).toFixed(1)}%, step ${opt.iterations.value.item()}, traced ${trainStep.tracingCount} times`,
);

// Later, or in another process: fresh variables take the saved values, and training resumes exactly.
const restored = k.restoreCheckpoint(checkpoint, { params, optimizer: opt, variables: { rng: rng.state } });
console.log(`restored step ${restored.step}`);
rmSync(dir, { recursive: true, force: true });

export { accuracy, trainStep };
