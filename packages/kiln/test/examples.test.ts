import { describe, expect, it } from '@jest/globals';
import { trace, type Tensor, type Traced } from '../src/index.ts';
import { makeSpirals, trainSpirals } from '../../../examples/spirals.ts';
import { loadMnist, splitMnist, trainLeNet } from '../../../examples/mnist.ts';

describe('the examples', () => {
  it("the traced spirals training reaches the eager run's accuracy, tracing once", () => {
    const data = makeSpirals({ pointsPerClass: 100, turns: 2, noise: 0.03, seed: 0 });
    let traced: Traced<(x: Tensor, y: Tensor) => Tensor> | null = null;
    const result = trainSpirals({
      data,
      steps: 300,
      learningRate: 0.02,
      every: 300,
      compile: (step) => (traced = trace(step)),
    });
    const eager = trainSpirals({ data, steps: 300, learningRate: 0.02, every: 300 });
    expect(result.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(result.accuracy).toBe(eager.accuracy);
    expect(Math.abs(result.loss - eager.loss)).toBeLessThan(1e-3);
    expect(traced!.tracingCount).toBe(1);
  });

  it('the README example runs', async () => {
    const log: unknown[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void log.push(args);
    try {
      await import('../../../examples/readme-example.ts');
    } finally {
      console.log = original;
    }
    const [loss, count] = log[0] as [number, number];
    expect(loss).toBeLessThan(0.01);
    expect(count).toBe(1);
    expect(String((log[1] as unknown[])[0])).toContain('fused.matmul');
  });

  describe('LeNet-5 on real MNIST digits', () => {
    const digits = loadMnist();
    const { train, test } = splitMnist(digits);

    it('loads the 10,000 digits of the mnist package, every class, pixels in [0, 1]', () => {
      expect(digits.count).toBe(10_000);
      const perClass = Array.from({ length: 10 }, (_, d) => digits.labels.filter((l) => l === d).length);
      expect(Math.min(...perClass)).toBeGreaterThan(800);
      expect(digits.images.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(digits.images.some((v) => v > 0.9)).toBe(true);
      expect([train.count, test.count]).toEqual([8000, 2000]);
    });

    it('a traced step equals the eager step (loss and every weight after 3 steps)', () => {
      const run = (traced: boolean) => trainLeNet(train, null, { epochs: 1, batchSize: 16, stepsPerEpoch: 3, traced });
      const [t, e] = [run(true), run(false)];
      expect(Math.abs(t.epochs[0]!.loss - e.epochs[0]!.loss)).toBeLessThan(1e-4);
      for (const layer of ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'] as const) {
        const a = t.net[layer].w.value.dataSync();
        const b = e.net[layer].w.value.dataSync();
        expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-4);
      }
    });

    it('one traced epoch (125 Adam steps of 64) gets over 90% of the held-out digits right', () => {
      const { epochs, step } = trainLeNet(train, test, { epochs: 1 });
      expect(epochs[0]!.accuracy).toBeGreaterThan(0.9);
      expect((step as Traced<typeof step>).tracingCount).toBe(1);
    }, 120_000);
  });

  it("the README's training loop runs: dataset, schedule, clipping, dropout, checkpoint", async () => {
    const log: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void log.push(args.join(' '));
    try {
      const { accuracy, trainStep } = await import('../../../examples/training-loop.ts');
      expect(accuracy).toBeGreaterThan(0.9);
      expect(trainStep.tracingCount).toBe(2); // full batches and the last partial one
    } finally {
      console.log = original;
    }
    expect(log.at(-1)).toBe('restored step 100');
  });
});
