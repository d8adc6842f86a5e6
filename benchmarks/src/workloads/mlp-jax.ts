/**
 * @file The MLP training step in jax-js: the loss and its gradient (valueAndGrad) and the
 * optimizer's update in one jit, which takes the weights (and Adam's moments) and returns the new
 * ones, as a JAX training step does. jax-js has no optimizers in its core package, so SGD and
 * Adam are written out, with Kiln's formulas (Adam: ε added to the uncorrected sqrt(v), the bias
 * correction folded into the step size).
 */
import type { Array as JaxArray } from '@jax-js/jax';
import type { Tensor } from 'kiln-jit';
import { jaxProgram, toJax } from './tensors.ts';
import type { Jax, PeerProgram } from './types.ts';

type Layer = { w: JaxArray; b: JaxArray };
type Moments = { m: Layer[]; v: Layer[] };

export interface JaxMlpSetup {
  readonly layers: readonly { w: Tensor; b: Tensor }[];
  readonly batch: readonly [Tensor, Tensor];
  readonly classes: number;
  readonly optimizer: { readonly name: 'sgd' | 'adam'; readonly rate: number };
}

const [BETA1, BETA2, EPSILON] = [0.9, 0.999, 1e-8];

export function jaxMlpStep(jax: Jax, setup: JaxMlpSetup): PeerProgram {
  const { numpy: np, nn, tree } = jax;
  const loss = (layers: Layer[], x: JaxArray, targets: JaxArray): JaxArray => {
    let h = x;
    layers.forEach(({ w, b }, i) => {
      const z = np.matmul(h, w).add(b);
      h = i < layers.length - 1 ? nn.relu(z) : z;
    });
    return np.mean(np.sum(targets.mul(nn.logSoftmax(h)), -1)).neg();
  };
  const rate = setup.optimizer.rate;
  const sgdStep = jax.jit((layers: Layer[], x: JaxArray, targets: JaxArray) => {
    const [value, grads] = jax.valueAndGrad(loss)(tree.ref(layers), x, targets);
    return [value, tree.map((w: JaxArray, g: JaxArray) => w.sub(g.mul(rate)), layers, grads)] as const;
  });
  // The step size with the bias correction comes in as an argument: a constant would recompile.
  const adamStep = jax.jit((layers: Layer[], moments: Moments, stepSize: JaxArray, x: JaxArray, targets: JaxArray) => {
    const [value, grads] = jax.valueAndGrad(loss)(tree.ref(layers), x, targets);
    const m = tree.map((m: JaxArray, g: JaxArray) => m.mul(BETA1).add(g.mul(1 - BETA1)), moments.m, tree.ref(grads));
    const v = tree.map((v: JaxArray, g: JaxArray) => v.mul(BETA2).add(np.square(g).mul(1 - BETA2)), moments.v, grads);
    const next = tree.map(
      (w: JaxArray, mt: JaxArray, vt: JaxArray) => w.sub(stepSize.ref.mul(mt.div(np.sqrt(vt).add(EPSILON)))),
      layers,
      tree.ref(m),
      tree.ref(v),
    );
    stepSize.dispose();
    return [value, next, { m, v }] as const;
  });

  let layers: Layer[] = setup.layers.map(({ w, b }) => ({ w: toJax(jax, w), b: toJax(jax, b) }));
  const zeros = (): Layer[] => layers.map(({ w, b }) => ({ w: np.zerosLike(w.ref), b: np.zerosLike(b.ref) }));
  let moments: Moments = setup.optimizer.name === 'adam' ? { m: zeros(), v: zeros() } : { m: [], v: [] };
  let t = 0;
  const [x, labels] = setup.batch.map((a) => toJax(jax, a)) as [JaxArray, JaxArray];
  const targets = nn.oneHot(labels, setup.classes);
  return jaxProgram(
    () => {
      if (setup.optimizer.name === 'sgd') {
        const [value, next] = sgdStep(layers, x.ref, targets.ref);
        layers = next;
        return value;
      }
      t++;
      const stepSize = np.array((rate * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t));
      const [value, next, nextMoments] = adamStep(layers, moments, stepSize, x.ref, targets.ref);
      [layers, moments] = [next, nextMoments];
      return value;
    },
    () => [...tree.leaves(layers), ...tree.leaves(moments), x, targets, sgdStep, adamStep],
  );
}
