import { describe, expect, it } from '@jest/globals';
import { accuracy, initMlp, makeSpirals, mlpForward, trainSpirals } from '../../../examples/spirals.ts';

describe('eager training on two spirals', () => {
  it('makes the same data set every time: 2 balanced arms around the origin', () => {
    const a = makeSpirals();
    const b = makeSpirals();
    expect(a.x.shape).toEqual([200, 2]);
    expect(a.y.dtype).toBe('i32');
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    const labels = Array.from(a.y.dataSync());
    expect(labels.filter((l) => l === 1).length).toBe(100);
    const xy = a.x.dataSync();
    for (let i = 0; i < 200; i++) {
      const radius = Math.hypot(xy[2 * i]!, xy[2 * i + 1]!);
      expect(radius).toBeGreaterThan(0);
      expect(radius).toBeLessThan(1.2);
    }
    // The arms are point-symmetric: without noise, arm 1 is arm 0 turned by π.
    const clean = makeSpirals({ noise: 0 }).x.dataSync();
    expect(clean[200]).toBeCloseTo(-clean[0]!, 6);
    expect(clean[201]).toBeCloseTo(-clean[1]!, 6);
  });

  it('an untrained MLP is near chance', () => {
    const data = makeSpirals();
    const layers = initMlp([2, 32, 32, 2], 1);
    expect(mlpForward(layers, data.x).shape).toEqual([200, 2]);
    const acc = accuracy(layers, data);
    expect(acc).toBeGreaterThan(0.3);
    expect(acc).toBeLessThan(0.8);
  });

  it('an MLP 2-32-32-2 trained with Adam reaches >= 95% training accuracy, deterministically', () => {
    const progress: number[] = [];
    const first = trainSpirals({ steps: 200, every: 50, onProgress: (_step, loss) => progress.push(loss) });
    expect(first.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(progress).toHaveLength(4);
    expect(progress[3]!).toBeLessThan(progress[0]! / 10);
    const again = trainSpirals({ steps: 200 });
    expect(again.loss).toBe(first.loss);
    expect(Array.from(again.layers[0]!.w.value.dataSync())).toEqual(Array.from(first.layers[0]!.w.value.dataSync()));
  });
});
