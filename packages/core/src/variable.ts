/**
 * @file Variables: named, mutable holders of a tensor whose shape and dtype never change. Reads
 * and assignments go through the current interpreter, so a trace can capture reads as graph
 * inputs and turn assignments into graph updates. A backend may keep a variable's value in its
 * own memory between calls; the value is copied out only when someone reads it.
 */
import type { DType } from './dtype.ts';
import { KilnArgumentError, KilnDTypeError, KilnShapeError } from './errors.ts';
import { Tensor } from './tensor.ts';
import { currentInterpreter } from './context.ts';
import { formatShape, shapesEqual } from './shape.ts';

let variableCount = 0;

export interface VariableOptions {
  name?: string;
  /** Whether optimizers should update it (default true). */
  trainable?: boolean;
}

export class Variable {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly trainable: boolean;
  /** Bumped on every write, so a backend can tell whether its copy is current. */
  version = 0;
  private stored: Tensor | null;
  private fetch: (() => Tensor) | null = null;

  constructor(initial: Tensor, options: VariableOptions = {}) {
    initial.concreteData('create a variable from it');
    this.name = options.name ?? `var${variableCount++}`;
    this.shape = initial.shape;
    this.dtype = initial.dtype;
    this.trainable = options.trainable ?? true;
    this.stored = initial;
  }

  /** The current value (inside a trace: the captured or last assigned symbolic value). */
  get value(): Tensor {
    return currentInterpreter().readVariable(this);
  }

  /** Replaces the value; the new value must have the variable's shape and dtype. */
  assign(value: Tensor): void {
    if (!(value instanceof Tensor)) {
      throw new KilnArgumentError(`assign: variable '${this.name}' needs a Tensor, got ${typeof value}`);
    }
    if (value.dtype !== this.dtype) {
      throw new KilnDTypeError(
        `assign: variable '${this.name}' is ${this.typeString}, cannot assign ${value.typeString}`,
      );
    }
    if (!shapesEqual(value.shape, this.shape)) {
      throw new KilnShapeError(
        `assign: variable '${this.name}' is ${this.typeString}, cannot assign ${value.typeString}`,
      );
    }
    currentInterpreter().assignVariable(this, value);
  }

  get typeString(): string {
    return `${this.dtype}${formatShape(this.shape)}`;
  }

  /** The concrete value, copying it out of a backend's memory if it lives there. */
  read(): Tensor {
    if (this.stored === null) {
      this.stored = this.fetch!();
      this.fetch = null;
    }
    return this.stored;
  }

  /** Stores a concrete value. */
  write(value: Tensor): void {
    this.stored = value;
    this.fetch = null;
    this.version++;
  }

  /** Records that a backend now holds the value; `fetch` copies it out on the next read. */
  writeExternal(fetch: () => Tensor): void {
    this.stored = null;
    this.fetch = fetch;
    this.version++;
  }

  toString(): string {
    return `Variable '${this.name}' ${this.typeString}`;
  }
}
