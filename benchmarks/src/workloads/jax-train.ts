/**
 * @file A training step in jax-js, for any model whose weights are a list of {w, b} layers: the
 * loss and its gradient (valueAndGrad) and the optimizer's update in one jit, which takes the
 * weights (and Adam's moments) and returns the new ones, as a JAX training step does. jax-js has
 * no optimizers in its core package, so SGD and Adam are written out with Kiln's formulas (Adam:
 * ε added to the uncorrected sqrt(v), the bias correction folded into the step size).
 */
import type { Array as JaxArray } from '@jax-js/jax';
import { jaxProgram } from './tensors.ts';
import type { Jax, PeerProgram } from './types.ts';

export type JaxLayer = { w: JaxArray; b: JaxArray };
type Moments = { m: JaxLayer[]; v: JaxLayer[] };

export interface JaxTrainSetup {
  /** The initial weights, on the device; the program owns them. */
  readonly layers: JaxLayer[];
  readonly x: JaxArray;
  /** One-hot labels. */
  readonly targets: JaxArray;
  /** The scalar loss; consumes its arguments. */
  loss(layers: JaxLayer[], x: JaxArray, targets: JaxArray): JaxArray;
  readonly optimizer: { readonly name: 'sgd' | 'adam'; readonly rate: number };
}

const [BETA1, BETA2, EPSILON] = [0.9, 0.999, 1e-8];

/** Mean softmax cross-entropy of `logits` against one-hot `targets`, as Kiln's softmaxCrossEntropy. */
export function jaxCrossEntropy(jax: Jax, logits: JaxArray, targets: JaxArray): JaxArray {
  const { numpy: np, nn } = jax;
  return np.mean(np.sum(targets.mul(nn.logSoftmax(logits)), -1)).neg();
}

/** The training step as a peer program; each run is one step and returns its loss. */
export function jaxTrainStep(jax: Jax, setup: JaxTrainSetup): PeerProgram {
  const { numpy: np, tree } = jax;
  const { loss, x, targets, optimizer } = setup;
  const rate = optimizer.rate;
  const sgdStep = jax.jit((layers: JaxLayer[], input: JaxArray, t: JaxArray) => {
    const [value, grads] = jax.valueAndGrad(loss)(tree.ref(layers), input, t);
    return [value, tree.map((w: JaxArray, g: JaxArray) => w.sub(g.mul(rate)), layers, grads)] as const;
  });
  // The step size with the bias correction comes in as an argument: a constant would recompile.
  const adamStep = jax.jit((layers: JaxLayer[], moments: Moments, stepSize: JaxArray, input: JaxArray, t: JaxArray) => {
    const [value, grads] = jax.valueAndGrad(loss)(tree.ref(layers), input, t);
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

  let layers = setup.layers;
  const zeros = (): JaxLayer[] => layers.map(({ w, b }) => ({ w: np.zerosLike(w.ref), b: np.zerosLike(b.ref) }));
  let moments: Moments = optimizer.name === 'adam' ? { m: zeros(), v: zeros() } : { m: [], v: [] };
  let t = 0;
  return jaxProgram(
    () => {
      if (optimizer.name === 'sgd') {
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
