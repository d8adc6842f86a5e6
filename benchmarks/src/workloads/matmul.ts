/** @file Square matrix products, n×n · n×n. */
import { matmul, randomNormal, type Tensor } from 'kiln-jit';
import { jaxProgram, readTensors, tfProgram, toJax, toTf } from './tensors.ts';
import type { Array as JaxArray } from '@jax-js/jax';
import type { Mode, Workload } from './types.ts';

export function matmulWorkload(n: number, quickSkips: readonly Mode[] = []): Workload {
  const inputs = () => [randomNormal([n, n], { seed: 100 + n }), randomNormal([n, n], { seed: 200 + n })] as const;
  return {
    id: `matmul-${n}`,
    title: `matmul ${n}×${n} · ${n}×${n}`,
    quick: true,
    quickSkips,
    checkCalls: 1,
    flops: 2 * n ** 3,
    kiln: () => ({ fn: (a: Tensor, b: Tensor) => matmul(a, b), args: inputs(), read: readTensors }),
    tfjs(tf) {
      const [a, b] = inputs().map((t) => toTf(tf, t));
      return tfProgram(tf, () => tf.matMul(a!, b!), [a!, b!]);
    },
    jax(jax) {
      const [a, b] = inputs().map((t) => toJax(jax, t)) as [JaxArray, JaxArray];
      const product = jax.jit((x: JaxArray, y: JaxArray) => jax.numpy.matmul(x, y));
      return jaxProgram(
        () => product(a.ref, b.ref),
        () => [a, b, product],
      );
    },
  };
}
