/**
 * @file @kiln-jit/core: tensors, the op set and its eager interpreter, autodiff, variables, nn helpers
 * and optimizers.
 */
import './tensor-methods.ts';

export {
  Tensor,
  makeTensor,
  makeDeviceTensor,
  type DeviceStorage,
  type NestedArray,
  type SymbolicHandle,
} from './tensor.ts';
export { type DType, type TypedArray, DTYPES, BYTES_PER_ELEMENT, allocate, copyOfArray, isDType } from './dtype.ts';
export * from './shape.ts';
export * from './errors.ts';
export * from './source-location.ts';
export * from './creation.ts';
export * from './ops/api.ts';
export * from './ops/names.ts';
export { typeString, matrixDims, type DTypeClass } from './ops/shape-rules.ts';
export { opRules, shapeRules, kernels, vjpRules, inferType } from './ops/registry.ts';
export type { OpRules, ShapeRule, Kernel, VjpRule, TensorType } from './ops/rules.ts';
export { unaryOps, unaryScalar, type UnaryDef } from './ops/unary.ts';
export { binaryOps, binaryScalar, isCommutative, type BinaryDef } from './ops/binary.ts';
export { reduceOps, reduceIdentity } from './ops/reduce.ts';
export { layoutRules, checksIndices } from './ops/layout.ts';
export { windowRules } from './ops/window.ts';
export * from './window-geometry.ts';
export { erf as erfScalar, GELU_TANH } from './kernels/scalar-math.ts';
export { THREEFRY_PARITY, THREEFRY_ROTATIONS, threefry2x32, threefryBits } from './kernels/threefry.ts';
export {
  bind,
  currentInterpreter,
  withInterpreter,
  interpreterStack,
  eagerInterpreter,
  type Interpreter,
} from './context.ts';
export { grad, valueAndGrad, type Grads, type Watchable } from './autodiff.ts';
export { Variable, type VariableOptions } from './variable.ts';
export * from './pytree.ts';
export * as nn from './nn.ts';
export * as data from './data.ts';
export * as random from './prng.ts';
export { Generator, type GeneratorOptions, type UniformOptions, type NormalOptions } from './prng.ts';
export { Dataset, type BatchOptions, type FromArraysOptions } from './data.ts';
export {
  softmax,
  logSoftmax,
  softmaxCrossEntropy,
  mse,
  layerNorm,
  dropout,
  dense,
  glorotUniform,
  glorotNormal,
  heNormal,
  heUniform,
} from './nn.ts';
export {
  sgd,
  momentum,
  adam,
  adamw,
  rmsprop,
  adagrad,
  type Optimizer,
  type LearningRate,
  type SgdOptions,
  type MomentumOptions,
  type AdamOptions,
  type AdamWOptions,
  type RmspropOptions,
  type AdagradOptions,
} from './optimizers.ts';
export {
  exponentialDecay,
  cosineDecay,
  linearWarmup,
  type Schedule,
  type ExponentialDecayOptions,
  type CosineDecayOptions,
  type LinearWarmupOptions,
} from './schedules.ts';
export { globalNorm, clipByGlobalNorm, clipByValue } from './clipping.ts';
export { encodeSafetensors, decodeSafetensors, type SafetensorsContents } from './io/safetensors.ts';
export { saveSafetensors, loadSafetensors, restoreSafetensors } from './io/files.ts';
export {
  saveCheckpoint,
  restoreCheckpoint,
  type CheckpointState,
  type SaveCheckpointOptions,
  type RestoredCheckpoint,
} from './io/checkpoint.ts';
export { uniformGenerator } from './random.ts';

import { Variable, type VariableOptions } from './variable.ts';
import { tensor, type TensorInput } from './creation.ts';

/** A variable holding `initial` (a tensor or anything `tensor()` accepts). */
export function variable(initial: TensorInput, options?: VariableOptions): Variable {
  return new Variable(tensor(initial), options);
}
export { cond, whileLoop, scan, controlIn, type ScanOptions } from './control/api.ts';
export { runInline } from './control/inline.ts';
export { checkPredicate, checkSameTypes } from './control/check.ts';
export type {
  ControlSpec,
  ControlKind,
  ControlResult,
  CondSpec,
  WhileSpec,
  ScanSpec,
  RegionFn,
} from './control/types.ts';
export { CONTROL_API_NAMES } from './control/types.ts';
