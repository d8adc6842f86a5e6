/**
 * @file Kiln's conv2d, pooling and their gradients against TensorFlow.js (tfjs-cpu, an independent
 * implementation of the same TF semantics: NHWC/HWIO, 'same' padding, avgPool not counting the
 * padding), on small shapes, traced on Wasm; and the fact the cnn-train workload's skip rests on:
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel.
 */
import { describe, expect, it } from '@jest/globals';
import * as k from 'kiln-jit';
import { activatePeer } from '../src/peers/tfjs.ts';
import { toTf } from '../src/workloads/tensors.ts';
import type * as tfjs from '@tensorflow/tfjs-core';

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-4): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    if (!(Math.abs(a[i]! - b[i]!) <= tol * (1 + Math.abs(b[i]!)))) throw new Error(`element ${i}: ${a[i]} vs ${b[i]}`);
}

const CASES: [string, number[], number[], number, 'same' | 'valid', number][] = [
  ['stride 2 same', [2, 7, 6, 3], [3, 3, 3, 4], 2, 'same', 1],
  ['stride 1 valid, dilation 2', [1, 8, 9, 2], [3, 2, 2, 3], 1, 'valid', 2],
  ['5x5 same, as LeNet', [3, 12, 12, 1], [5, 5, 1, 6], 1, 'same', 1],
];

describe('conv2d and pooling agree with TensorFlow.js', () => {
  it.each(CASES)(
    'conv2d %s: value, and both gradients where tfjs has them',
    async (_name, xs, fs, stride, padding, dilation) => {
      const tf = await activatePeer('tfjs-cpu');
      const x = k.randomUniform(xs, { seed: 1, min: -1, max: 1 });
      const f = k.randomUniform(fs, { seed: 2, min: -1, max: 1 });
      const loss = (a: k.Tensor, b: k.Tensor): k.Tensor =>
        k.sum(k.square(k.conv2d(a, b, { strides: stride, padding, dilations: dilation })));
      const [value, [dx, df]] = k.trace((a: k.Tensor, b: k.Tensor) => k.valueAndGrad(loss, [0, 1])(a, b))(x, f);
      const tfLoss = (a: tfjs.Tensor4D, b: tfjs.Tensor4D) =>
        tf.sum(tf.square(tf.conv2d(a, b, stride, padding, 'NHWC', dilation))) as tfjs.Scalar;
      const [tx, tf4] = [toTf(tf, x), toTf(tf, f)] as tfjs.Tensor4D[];
      expectClose([value.item() as number], tfLoss(tx!, tf4!).dataSync());
      // tfjs's conv2d gradients refuse dilations > 1 ("not yet supported").
      if (dilation > 1) return;
      const { grads } = tf.valueAndGrads((...ab: tfjs.Tensor[]) =>
        tfLoss(ab[0] as tfjs.Tensor4D, ab[1] as tfjs.Tensor4D),
      )([tx!, tf4!]);
      expectClose(dx!.dataSync(), grads[0]!.dataSync());
      expectClose(df!.dataSync(), grads[1]!.dataSync());
    },
  );

  // tfjs's avgPool gradient divides by the whole window even where its forward pass (and Kiln's,
  // checked against central differences in window.test.ts) counts only the input positions, so
  // with 'same' padding only the values are compared.
  it.each([
    ['maxPool', 'same', true],
    ['maxPool', 'valid', true],
    ['avgPool', 'same', false],
    ['avgPool', 'valid', true],
  ] as const)('%s 3x3 stride 2 %s: value (and gradient: %s)', async (op, padding, gradient) => {
    const tf = await activatePeer('tfjs-cpu');
    const x = k.randomUniform([2, 7, 5, 4], { seed: 3, min: -1, max: 1 });
    const pooled = k[op](x, { windowShape: 3, strides: 2, padding });
    const w = k.randomUniform([...pooled.shape], { seed: 4 });
    const loss = (a: k.Tensor): k.Tensor => k.sum(k.mul(k[op](a, { windowShape: 3, strides: 2, padding }), w));
    const [value, dx] = k.trace((a: k.Tensor) => k.valueAndGrad(loss)(a))(x);
    const tw = toTf(tf, w);
    const tfLoss = (a: tfjs.Tensor4D) => tf.sum(tf.mul(tf[op](a, 3, 2, padding), tw)) as tfjs.Scalar;
    const { value: tv, grad } = tf.valueAndGrad(tfLoss)(toTf(tf, x) as tfjs.Tensor4D);
    expectClose([value.item() as number], tv.dataSync());
    if (gradient) expectClose(dx.dataSync(), grad.dataSync());
  });

  it('tfjs-backend-wasm 4.22 cannot take a conv2d filter gradient (why cnn-train skips it)', async () => {
    const tf = await activatePeer('tfjs-wasm');
    const x = tf.ones([1, 4, 4, 1]) as tfjs.Tensor4D;
    const f = tf.ones([2, 2, 1, 1]) as tfjs.Tensor4D;
    expect(() => tf.grad((b: tfjs.Tensor) => tf.sum(tf.conv2d(x, b as tfjs.Tensor4D, 1, 'valid')))(f)).toThrow(
      /Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'/,
    );
  });
});
