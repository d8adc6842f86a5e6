/**
 * @file Kiln's error classes. Every error names the op (or API) at fault, the shapes and dtypes
 * involved, and the user's source line, which is found from the stack when the error is made.
 */
import { callerLocation, formatLocation, type SourceLocation } from './source-location.ts';

/** Base class of every error Kiln throws on purpose. */
export class KilnError extends Error {
  /** The user's source line that made the failing call, when it could be found. */
  readonly location: SourceLocation | null;
  /** The message without the location suffix. */
  readonly detail: string;

  constructor(detail: string, location: SourceLocation | null = callerLocation(), options?: ErrorOptions) {
    super(location ? `${detail}\n    at ${formatLocation(location)}` : detail, options);
    this.detail = detail;
    this.location = location;
    this.name = new.target.name;
  }
}

/** Shapes that do not fit the op (broadcasting, matmul inner dimensions, reshape sizes). */
export class KilnShapeError extends KilnError {}

/** A dtype the op does not accept, or two dtypes that must agree and do not. */
export class KilnDTypeError extends KilnError {}

/** A bad non-tensor argument: an axis out of range, a wrong attribute, a non-tensor value. */
export class KilnArgumentError extends KilnError {}

/** Misuse of grad/valueAndGrad (non-scalar output, bad argnums, non-differentiable input). */
export class KilnGradientError extends KilnError {}

/**
 * A symbolic tensor was used where a concrete value is needed (as a JS number or boolean, or its
 * data read) while tracing: data-dependent control flow cannot be traced.
 */
export class KilnConcretizationError extends KilnError {}

/** A symbolic tensor was used after the trace that made it had ended. */
export class KilnEscapedTracerError extends KilnError {}

/** A file that is not what it should be: truncated, corrupt, or not in the expected format. */
export class KilnFormatError extends KilnError {}
