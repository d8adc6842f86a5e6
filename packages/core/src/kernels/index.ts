/**
 * @file The eager kernel of every op, as one table the type checker keeps complete. Kernels get
 * concrete inputs that already passed the op's shape rule, and the output type it computed.
 */
import { makeTensor, type Tensor } from '../tensor.ts';
import type { TensorType } from '../ops/shape-rules.ts';
import { BINARY_OPS, UNARY_OPS, type OpAttrs, type OpName } from '../ops/names.ts';
import { binaryKernel, castKernel, unaryKernel, whereKernel } from './elementwise.ts';
import { reduceKernels } from './reduce.ts';
import { layoutKernels } from './layout.ts';
import { matmulKernel } from './matmul.ts';
import { randomBitsKernel } from './threefry.ts';

export type Kernel<K extends OpName> = (inputs: readonly Tensor[], attrs: OpAttrs[K], out: TensorType) => Tensor;

export const kernels: { [K in OpName]: Kernel<K> } = {
  ...(Object.fromEntries(UNARY_OPS.map((op) => [op, unaryKernel(op)])) as {
    [K in (typeof UNARY_OPS)[number]]: Kernel<K>;
  }),
  ...(Object.fromEntries(BINARY_OPS.map((op) => [op, binaryKernel(op)])) as {
    [K in (typeof BINARY_OPS)[number]]: Kernel<K>;
  }),
  ...reduceKernels,
  ...layoutKernels,
  cast: castKernel,
  where: whereKernel,
  matmul: matmulKernel,
  randomBits: randomBitsKernel,
  print: (inputs, { label }) => {
    const x = inputs[0]!;
    console.log(label ? `${label}: ${x.toString()}` : x.toString());
    return makeTensor(x.shape, x.dtype, x.storage!); // a new tensor object: autodiff keys on identity
  },
};
