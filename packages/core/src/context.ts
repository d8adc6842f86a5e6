/**
 * @file `bind` and the interpreter stack. Every op goes through `bind`, which hands it to the
 * interpreter on top of the stack: eager (run the kernel now), a gradient tape (record, then pass
 * it down), or a trace (append a node to the graph). Composition falls out of the stack order.
 */
import type { Tensor } from './tensor.ts';
import type { Variable } from './variable.ts';
import type { OpAttrs, OpName } from './ops/names.ts';
import { inferType, kernels } from './ops/registry.ts';
import type { Kernel } from './ops/rules.ts';
import type { ControlResult, ControlSpec } from './control/types.ts';

export interface Interpreter {
  /** Runs or records `op` on `inputs`, returning its output. */
  apply<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor;
  /** The value a read of `v` gives in this context. */
  readVariable(v: Variable): Tensor;
  /** Makes `value` the value of `v` in this context (already checked to match v's type). */
  assignVariable(v: Variable, value: Tensor): void;
  /**
   * Runs or records a control-flow construct (cond, whileLoop, scan). Without it the construct
   * runs as plain JS control flow, its region functions calling back into the stack.
   */
  control?(spec: ControlSpec): ControlResult;
}

/** Runs each op at once with its JavaScript kernel. The bottom of every stack. */
class EagerInterpreter implements Interpreter {
  apply<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
    for (let i = 0; i < inputs.length; i++) {
      if (inputs[i]!.isSymbolic) inputs[i]!.concreteData(`use it in ${op}`);
    }
    const type = inferType(op, inputs, attrs);
    return (kernels[op] as Kernel<K>)(inputs, attrs, type);
  }

  readVariable(v: Variable): Tensor {
    return v.read();
  }

  assignVariable(v: Variable, value: Tensor): void {
    value.concreteData(`assign it to variable '${v.name}'`);
    v.write(value);
  }
}

export const eagerInterpreter: Interpreter = new EagerInterpreter();

const stack: Interpreter[] = [eagerInterpreter];

/** Applies `op` in the current context. The single entry point of every op. */
export function bind<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
  return stack[stack.length - 1]!.apply(op, inputs, attrs);
}

export function currentInterpreter(): Interpreter {
  return stack[stack.length - 1]!;
}

/** Runs `fn` with `interpreter` on top of the stack. */
export function withInterpreter<T>(interpreter: Interpreter, fn: () => T): T {
  stack.push(interpreter);
  try {
    return fn();
  } finally {
    const top = stack.pop();
    // A corrupted stack would misroute every later op, so it outranks the error being thrown.
    // eslint-disable-next-line no-unsafe-finally
    if (top !== interpreter) throw new Error('Kiln internal error: interpreter stack out of order');
  }
}

/** The interpreters on the stack, bottom first (for introspection and tests). */
export function interpreterStack(): readonly Interpreter[] {
  return stack;
}
