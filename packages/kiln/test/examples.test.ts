import { describe, expect, it } from '@jest/globals';
import { trace, type Tensor, type Traced } from '../src/index.ts';
import { makeSpirals, trainSpirals } from '../../../examples/spirals.ts';

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
