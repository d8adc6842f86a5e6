/**
 * @file A pre-norm transformer block, forward and backward: multi-head self-attention (4 heads of
 * 32, softmax) and a GELU MLP (128 -> 512 -> 128), each behind a layernorm and a residual, on
 * batch 8 × sequence 64 × width 128; the loss is the mean squared error against a fixed target
 * and the gradients are taken with respect to every weight.
 */
import {
  add,
  gelu,
  layerNorm,
  matmul,
  mse,
  mul,
  randomNormal,
  reshape,
  softmax,
  transpose,
  valueAndGrad,
  Variable,
  zeros,
  ones,
  type Tensor,
} from 'kiln-jit';
import type { Array as JaxArray } from '@jax-js/jax';
import type * as tfjs from '@tensorflow/tfjs-core';
import { jaxLayerNorm } from './jax-ops.ts';
import { concatArrays, jaxProgram, tfProgram, toJax, toTf } from './tensors.ts';
import type { Jax, Tf, Workload } from './types.ts';

const BATCH = 8;
const SEQ = 64;
const WIDTH = 128;
const HEADS = 4;
const HEAD = WIDTH / HEADS;
const HIDDEN = 4 * WIDTH;
const ROWS = BATCH * SEQ;
const SCALE = 1 / Math.sqrt(HEAD);

const PARAM_SHAPES = {
  ln1Gamma: [WIDTH],
  ln1Beta: [WIDTH],
  wq: [WIDTH, WIDTH],
  wk: [WIDTH, WIDTH],
  wv: [WIDTH, WIDTH],
  wo: [WIDTH, WIDTH],
  bo: [WIDTH],
  ln2Gamma: [WIDTH],
  ln2Beta: [WIDTH],
  w1: [WIDTH, HIDDEN],
  b1: [HIDDEN],
  w2: [HIDDEN, WIDTH],
  b2: [WIDTH],
} as const;
type ParamName = keyof typeof PARAM_SHAPES;
const PARAM_NAMES = Object.keys(PARAM_SHAPES) as ParamName[];

function initialParams(): Record<ParamName, Tensor> {
  return Object.fromEntries(
    PARAM_NAMES.map((name, i) => {
      const shape = PARAM_SHAPES[name];
      const init = name.endsWith('Gamma')
        ? ones(shape)
        : shape.length === 1
          ? zeros(shape)
          : randomNormal(shape, { seed: 800 + i, stddev: 1 / Math.sqrt(shape[0]) });
      return [name, init];
    }),
  ) as Record<ParamName, Tensor>;
}

const batch = () => [randomNormal([ROWS, WIDTH], { seed: 850 }), randomNormal([ROWS, WIDTH], { seed: 851 })] as const;

/** [rows, width] -> [batch, heads, seq, head] */
const splitHeads = (t: Tensor) => transpose(reshape(t, [BATCH, SEQ, HEADS, HEAD]), [0, 2, 1, 3]);
/** [batch, heads, seq, head] -> [rows, width] */
const mergeHeads = (t: Tensor) => reshape(transpose(t, [0, 2, 1, 3]), [ROWS, WIDTH]);

function block(p: Record<ParamName, Variable>, x: Tensor): Tensor {
  const h = layerNorm(x, p.ln1Gamma, p.ln1Beta);
  const [q, k, v] = [p.wq, p.wk, p.wv].map((w) => splitHeads(matmul(h, w)));
  const attention = softmax(mul(matmul(q!, k!, { transposeB: true }), SCALE));
  const x2 = add(x, add(matmul(mergeHeads(matmul(attention, v!)), p.wo), p.bo));
  const hidden = gelu(add(matmul(layerNorm(x2, p.ln2Gamma, p.ln2Beta), p.w1), p.b1));
  return add(x2, add(matmul(hidden, p.w2), p.b2));
}

function tfBlock(tf: Tf, p: Record<ParamName, tfjs.Tensor>, x: tfjs.Tensor): tfjs.Tensor {
  const norm = (t: tfjs.Tensor, gamma: tfjs.Tensor, beta: tfjs.Tensor) => {
    const { mean, variance } = tf.moments(t, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5))), gamma), beta);
  };
  const split = (t: tfjs.Tensor) => tf.transpose(tf.reshape(t, [BATCH, SEQ, HEADS, HEAD]), [0, 2, 1, 3]);
  const merge = (t: tfjs.Tensor) => tf.reshape(tf.transpose(t, [0, 2, 1, 3]), [ROWS, WIDTH]);
  // tfjs-core has no gelu op: its tanh form, as Kiln's gelu computes it.
  const gelu = (t: tfjs.Tensor) =>
    tf.mul(
      tf.mul(t, 0.5),
      tf.add(tf.tanh(tf.mul(tf.add(t, tf.mul(tf.pow(t, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1),
    );
  const h = norm(x, p.ln1Gamma, p.ln1Beta);
  const [q, k, v] = [p.wq, p.wk, p.wv].map((w) => split(tf.matMul(h, w)));
  const attention = tf.softmax(tf.mul(tf.matMul(q!, k!, false, true), SCALE));
  const x2 = tf.add(x, tf.add(tf.matMul(merge(tf.matMul(attention, v!)), p.wo), p.bo));
  const hidden = gelu(tf.add(tf.matMul(norm(x2, p.ln2Gamma, p.ln2Beta), p.w1), p.b1));
  return tf.add(x2, tf.add(tf.matMul(hidden, p.w2), p.b2));
}

/** The block in jax-js: each value is consumed once, so every use but its last takes a `.ref`. */
function jaxBlock(jax: Jax, p: Record<ParamName, JaxArray>, x: JaxArray): JaxArray {
  const { numpy: np, nn } = jax;
  const split = (t: JaxArray) => np.transpose(np.reshape(t, [BATCH, SEQ, HEADS, HEAD]), [0, 2, 1, 3]);
  const merge = (t: JaxArray) => np.reshape(np.transpose(t, [0, 2, 1, 3]), [ROWS, WIDTH]);
  const h = jaxLayerNorm(jax, x.ref, p.ln1Gamma, p.ln1Beta);
  const [q, k, v] = [split(np.matmul(h.ref, p.wq)), split(np.matmul(h.ref, p.wk)), split(np.matmul(h, p.wv))];
  const attention = nn.softmax(np.matmul(q, np.matrixTranspose(k)).mul(SCALE));
  const x2 = x.add(np.matmul(merge(np.matmul(attention, v)), p.wo).add(p.bo));
  // nn.gelu is the tanh form by default, as Kiln's gelu.
  const hidden = nn.gelu(np.matmul(jaxLayerNorm(jax, x2.ref, p.ln2Gamma, p.ln2Beta), p.w1).add(p.b1));
  return x2.add(np.matmul(hidden, p.w2).add(p.b2));
}

let peerInstances = 0;

/** Multiply-adds of the forward pass; the backward pass costs about twice that. */
const FORWARD_FLOPS = 2 * ROWS * (4 * WIDTH * WIDTH + 2 * WIDTH * HIDDEN) + 2 * 2 * BATCH * HEADS * SEQ * SEQ * HEAD;

export const transformerWorkload: Workload = {
  id: 'transformer',
  title: `transformer block fwd+bwd, ${BATCH}×${SEQ}×${WIDTH}, ${HEADS} heads`,
  quick: true,
  checkCalls: 1,
  flops: 3 * FORWARD_FLOPS,
  kiln() {
    const init = initialParams();
    const params = Object.fromEntries(PARAM_NAMES.map((n) => [n, new Variable(init[n], { name: n })])) as Record<
      ParamName,
      Variable
    >;
    const loss = (p: Record<ParamName, Variable>, x: Tensor, target: Tensor) => mse(block(p, x), target);
    const step = (x: Tensor, target: Tensor) => valueAndGrad(loss)(params, x, target);
    return {
      fn: step,
      args: batch(),
      read(output) {
        const [value, grads] = output as [Tensor, Record<ParamName, Tensor>];
        return concatArrays([value.dataSync(), ...PARAM_NAMES.map((n) => grads[n].dataSync())]);
      },
    };
  },
  tfjs(tf) {
    const instance = peerInstances++; // tfjs variable names are global and must be unique
    const init = initialParams();
    const params = Object.fromEntries(
      PARAM_NAMES.map((n) => [n, tf.variable(toTf(tf, init[n]), true, `transformer${instance}/${n}`)]),
    ) as Record<ParamName, tfjs.Variable>;
    const [x, target] = batch().map((t) => toTf(tf, t));
    const list = PARAM_NAMES.map((n) => params[n]);
    return tfProgram(tf, () => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.meanSquaredError(target!, tfBlock(tf, params, x!)) as tfjs.Scalar,
        list,
      );
      return [value, ...list.map((v) => grads[v.name]!)];
    }, [...list, x!, target!]);
  },
  jax(jax) {
    const { numpy: np, tree } = jax;
    const init = initialParams();
    const params = Object.fromEntries(PARAM_NAMES.map((n) => [n, toJax(jax, init[n])])) as Record<ParamName, JaxArray>;
    const [x, target] = batch().map((t) => toJax(jax, t)) as [JaxArray, JaxArray];
    const loss = (p: Record<ParamName, JaxArray>, input: JaxArray, t: JaxArray) =>
      np.mean(np.square(jaxBlock(jax, p, input).sub(t)));
    const step = jax.jit((p: Record<ParamName, JaxArray>, input: JaxArray, t: JaxArray) =>
      jax.valueAndGrad(loss)(p, input, t),
    );
    return jaxProgram(
      () => {
        const [value, grads] = step(tree.ref(params), x.ref, target.ref);
        return [value, ...PARAM_NAMES.map((n) => grads[n])];
      },
      () => [...Object.values(params), x, target, step],
    );
  },
};
