/** @file Every workload of the suite, in table order, and how a run picks a subset. */
import { addChainWorkload } from './add-chain.ts';
import { geluWorkload } from './gelu.ts';
import { layerNormWorkload } from './layernorm.ts';
import { matmulWorkload } from './matmul.ts';
import { mlpAdamWorkload, mlpSgdWorkload } from './mlp.ts';
import { softmaxWorkload } from './softmax.ts';
import { transformerWorkload } from './transformer.ts';
import { scanRnnWorkload } from './scan-rnn.ts';
import { whileLoopWorkload } from './while-loop.ts';
import type { Workload } from './types.ts';
import { cnnTrainWorkload, conv3x3GemmWorkload, conv3x3Workload } from './vision.ts';

export * from './types.ts';

/** `workload` with each timed call's result fed into the next call instead of read (Kiln only). */
function chained(workload: Workload): Workload {
  return {
    ...workload,
    id: `${workload.id}-chained`,
    title: `${workload.title}, result chained into the next call`,
    tfjs: undefined,
    jax: undefined,
    peerNote: 'the result stays in Kiln: no peer version',
    kiln: () => ({ ...workload.kiln(), timedUse: 'chain' }),
  };
}

export const WORKLOADS: readonly Workload[] = [
  mlpSgdWorkload,
  mlpAdamWorkload,
  geluWorkload,
  chained(geluWorkload),
  matmulWorkload(256),
  matmulWorkload(512),
  matmulWorkload(1024, ['eager', 'interpreter', 'tfjs-cpu']),
  softmaxWorkload,
  chained(softmaxWorkload),
  layerNormWorkload,
  chained(layerNormWorkload),
  transformerWorkload,
  addChainWorkload,
  whileLoopWorkload,
  scanRnnWorkload,
  cnnTrainWorkload,
  conv3x3Workload,
  conv3x3GemmWorkload,
];

/** Workloads whose id matches one of `patterns` exactly, or all when `patterns` is empty. */
export function selectWorkloads(patterns: readonly string[]): Workload[] {
  if (patterns.length === 0) return [...WORKLOADS];
  const unknown = patterns.filter((p) => !WORKLOADS.some((w) => w.id === p));
  if (unknown.length)
    throw new Error(`unknown workload ${unknown.join(', ')}; known: ${WORKLOADS.map((w) => w.id).join(', ')}`);
  return WORKLOADS.filter((w) => patterns.includes(w.id));
}
