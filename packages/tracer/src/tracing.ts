/**
 * @file The tracing interpreter: while a function is traced it sits on top of the interpreter
 * stack and turns every op into a node of the graph being built, returning symbolic tensors.
 * Concrete tensors met on the way become constants (small) or captured constant parameters
 * (large); variable reads become `var` parameters and assignments become updates.
 */
import {
  callerLocation,
  inferType,
  registerInternalSource,
  KilnEscapedTracerError,
  Tensor,
  Variable,
  type ControlResult,
  type ControlSpec,
  type Interpreter,
  type OpAttrs,
  type OpName,
  type SymbolicHandle,
  type TensorType,
} from '@kiln-jit/core';
import { CONSTANT_OP, GraphBuilder, type Param, type Value } from './ir/graph.ts';
import { traceControl } from './trace/control-tracing.ts';

// Frames in the tracer are Kiln's, not the user's: skip them when locating source lines.
registerInternalSource(import.meta.url);

/** Concrete tensors up to this many elements are inlined as `constant` nodes. */
export const INLINE_CONSTANT_LIMIT = 64;

/** What a symbolic tensor made by a trace points at. */
class TracedSymbol implements SymbolicHandle {
  constructor(
    readonly trace: TraceInterpreter,
    readonly value: Value,
  ) {}

  describe(): string {
    return `value #${this.value.id} of trace @${this.trace.builder.name}`;
  }

  isLive(): boolean {
    return this.trace.live;
  }
}

/** Makes a name usable as an IR value name (letters, digits, `_` and `.`), unique in `taken`. */
export function uniqueName(raw: string, taken: Set<string>): string {
  let base = raw.replace(/[^A-Za-z0-9_.]/g, '_');
  if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

export class TraceInterpreter implements Interpreter {
  readonly builder: GraphBuilder;
  /**
   * The outer tensors a region trace read (symbolic tensors of an enclosing trace, or large
   * concrete ones), in the order of their capture params.
   */
  readonly captures: Tensor[] = [];
  /** Variables a region trace assigned, in first-assignment order. */
  readonly assigned: Variable[] = [];
  private readonly captureParams = new Map<Tensor, Param>();
  /** False once tracing ended: its symbolic tensors must not be used again. */
  live = true;
  /** Captured variables in the order of their `var` parameters. */
  readonly variables: Variable[] = [];
  private readonly varParams = new Map<Variable, Param>();
  private readonly current = new Map<Variable, Tensor>();
  private readonly constants = new Map<Tensor, Value>();
  private readonly names = new Set<string>();
  private constCount = 0;

  /** `parent`: the trace enclosing a region being traced (null for a whole function). */
  constructor(
    name: string,
    readonly parent: TraceInterpreter | null = null,
  ) {
    this.builder = new GraphBuilder(name);
  }

  /** A trace for a region of a control-flow node recorded in this one. */
  child(name: string): TraceInterpreter {
    return new TraceInterpreter(`${this.builder.name}.${name}`, this);
  }

  /** Whether `t` is a symbolic tensor of a live trace enclosing this one. */
  private isVisible(t: Tensor): boolean {
    for (let tr = this.parent; tr; tr = tr.parent) {
      if (t.symbol instanceof TracedSymbol && t.symbol.trace === tr && tr.live) return true;
    }
    return false;
  }

  /** The param standing for outer tensor `t` in this region trace, added on first use. */
  captureParam(t: Tensor): Param {
    let p = this.captureParams.get(t);
    if (!p) {
      p = this.builder.addParam(uniqueName(`c${this.captures.length}`, this.names), 'arg', t);
      this.captureParams.set(t, p);
      this.captures.push(t);
    }
    return p;
  }

  /** Adds an argument parameter and returns the symbolic tensor standing for it. */
  addArgument(name: string, type: TensorType): Tensor {
    return this.symbolic(this.builder.addParam(uniqueName(name, this.names), 'arg', type).value);
  }

  symbolic(value: Value): Tensor {
    return new Tensor(value.type.shape, value.type.dtype, null, new TracedSymbol(this, value));
  }

  /** The graph value of a tensor used while tracing. */
  valueOf(t: Tensor): Value {
    if (t.symbol !== null) {
      if (t.symbol instanceof TracedSymbol && t.symbol.trace === this && this.live) return t.symbol.value;
      if (this.parent && this.live && this.isVisible(t)) return this.captureParam(t).value;
      throw new KilnEscapedTracerError(
        `A symbolic tensor ${t.typeString} (${t.symbol.describe()}) escaped from another trace and cannot be used in @${this.builder.name}. ` +
          'Return it from its traced function, or pass it in as an argument.',
      );
    }
    let v = this.constants.get(t);
    if (v === undefined && this.parent && t.size > INLINE_CONSTANT_LIMIT) return this.captureParam(t).value;
    if (v === undefined) {
      v =
        t.size <= INLINE_CONSTANT_LIMIT
          ? this.builder.addNode(CONSTANT_OP, [], { value: t.rank === 0 ? t.storage![0]! : Array.from(t.storage!) }, t)
          : this.builder.addParam(uniqueName(`k${this.constCount++}`, this.names), 'const', t, t).value;
      this.constants.set(t, v);
    }
    return v;
  }

  apply<K extends OpName>(op: K, inputs: readonly Tensor[], attrs: OpAttrs[K]): Tensor {
    const values = inputs.map((t) => this.valueOf(t));
    const type = inferType(op, inputs, attrs);
    return this.symbolic(this.builder.addNode(op, values, attrs as never, type, callerLocation()));
  }

  /** The `var` parameter of `v`, added on first use. */
  private paramOf(v: Variable): Param {
    let p = this.varParams.get(v);
    if (!p) {
      p = this.builder.addParam(uniqueName(v.name, this.names), 'var', v);
      this.varParams.set(v, p);
      this.variables.push(v);
    }
    return p;
  }

  readVariable(v: Variable): Tensor {
    let t = this.current.get(v);
    if (!t && this.parent) return this.parent.readVariable(v); // captured when used
    if (!t) {
      t = this.symbolic(this.paramOf(v).value);
      this.current.set(v, t);
    }
    return t;
  }

  /** Makes `value` the value of `v` seen by later reads in this trace (a region's loop state, say). */
  setCurrent(v: Variable, value: Tensor): void {
    this.current.set(v, value);
  }

  control(spec: ControlSpec): ControlResult {
    return traceControl(this, spec);
  }

  assignVariable(v: Variable, value: Tensor): void {
    if (this.parent) {
      // In a region an assignment is a new value of the region's state, returned by the region.
      this.valueOf(value);
      this.current.set(v, value);
      if (!this.assigned.includes(v)) this.assigned.push(v);
      return;
    }
    const param = this.paramOf(v);
    const newValue = this.valueOf(value);
    this.current.set(v, value.symbol ? value : this.symbolic(newValue));
    // A later assignment of the same variable replaces the earlier one: the last value wins.
    this.builder.updates = this.builder.updates.filter((u) => u.target !== param);
    if (newValue !== param.value) this.builder.updates.push({ target: param, value: newValue });
  }
}
