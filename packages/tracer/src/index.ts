/**
 * @file @kiln-jit/tracer: trace() and @trace(), the SSA IR (printer, parser, verifier), the IR
 * interpreter, the pass manager and passes, and the backend interface.
 */
import './interpreter-backend.ts';
import './passes/index.ts';

export * from './ir/graph.ts';
export { printGraph, valueNames, formatLoc, type PrintOptions } from './ir/printer.ts';
export { parseGraph, KilnParseError } from './ir/parser.ts';
export { verifyGraph, KilnVerifyError } from './ir/verifier.ts';
export { attrSchema, type AttrKind } from './ir/attr-schema.ts';
export { FUSION_KINDS, fusedOp, fusionKindOf, isFusedOp, type FusionKind, type FusedOp } from './ir/fusion.ts';
export { formatNumber, formatType } from './ir/format-values.ts';
export { interpretGraph, constantTensor } from './interpreter.ts';
export { interpreterBackend, bindParams } from './interpreter-backend.ts';
export * from './backend.ts';
export { TraceInterpreter, INLINE_CONSTANT_LIMIT } from './tracing.ts';
export {
  trace,
  asTraced,
  runFunctionsEagerly,
  functionsRunEagerly,
  tracedFunctions,
  type Traced,
  type TraceDecorator,
  type TraceReport,
  type TraceOptions,
  type TracedMethods,
  type RetraceRecord,
  type CacheEntryInfo,
} from './trace.ts';
export { isTensorSpec, parseSpec, type TensorSpec } from './tensor-spec.ts';
export { signatureOf, signatureChanges, type Signature, type SignatureChange } from './signature.ts';
export { inspectSource, type SourceFacts } from './source-check.ts';
export {
  runPipeline,
  registerPass,
  passNames,
  DEFAULT_PASSES,
  stageChanged,
  aliasStageNames,
  OPTIMIZED_STAGE,
  type Pass,
  type PassContext,
  type PassStages,
  type PipelineOptions,
  type Stage,
} from './passes/manager.ts';
export { warn } from './warnings.ts';
export * from './passes/index.ts';
