/**
 * @file The helpers AutoGraph-converted code calls (see ./transform.ts). On JS values each one
 * is the JS construct or operator it replaced; on a tensor it is the Kiln op or control-flow
 * construct: `if_` becomes cond, `while_` becomes whileLoop, comparisons and arithmetic become
 * greater/add/... . A construct that cannot be converted is an error naming it and its line.
 */
import * as k from '@kiln-jit/core';
import { KilnError, Tensor, registerInternalSource, type SourceLocation } from '@kiln-jit/core';

registerInternalSource(import.meta.url);

/** A construct AutoGraph cannot convert was reached with a tensor condition. */
export class KilnAutoGraphError extends KilnError {}

/** Where a converted statement is, as the transform records it. */
export interface Site {
  kind: string;
  file: string | null;
  line: number;
  column: number;
  /** The variables a branch or loop assigns (its outputs or loop state). */
  names?: string[];
  /** For an unconvertible statement: what made it so. */
  construct?: string;
  statement?: { file: string | null; line: number; column: number };
}

const isTensor = (v: unknown): v is Tensor => v instanceof Tensor;
const STATEMENT: Record<string, string> = {
  if: 'an `if`',
  while: 'a `while` loop',
  for: 'a `for` loop',
  '?:': 'a `?:`',
};

function locationOf(site: { file: string | null; line: number; column: number }): SourceLocation | null {
  return site.file ? { file: site.file, line: site.line, column: site.column } : null;
}

function fail(site: Site, detail: string): never {
  throw new KilnAutoGraphError(`AutoGraph: ${detail}`, locationOf(site) ?? undefined);
}

/** A tensor condition as the bool scalar cond/whileLoop take (non-bool: `!= 0`, as JS truthiness). */
function predicate(t: Tensor, site: Site): Tensor {
  if (t.size !== 1)
    fail(
      site,
      `the condition of ${STATEMENT[site.kind] ?? site.kind} is a tensor ${t.typeString}; it needs one element (reduce it, e.g. with sum() or any())`,
    );
  const scalar = t.rank === 0 ? t : k.reshape(t, []);
  return scalar.dtype === 'bool' ? scalar : k.notEqual(scalar, 0);
}

/** An unconvertible statement's condition: passes JS values through, rejects a tensor. */
export function test<T>(value: T, site: Site): T {
  if (!isTensor(value)) return value;
  const where = site.statement ? ` at line ${site.statement.line}` : '';
  const name = site.construct!.includes(' ') ? site.construct! : `\`${site.construct}\``;
  const construct = site.kind === 'do-while' ? 'a `do ... while` loop' : name;
  const inside = site.kind === 'do-while' ? '' : ` inside ${STATEMENT[site.kind] ?? site.kind}${where}`;
  return fail(
    site,
    `${construct}${inside} whose condition is a tensor cannot be converted to cond/whileLoop: ` +
      'assign to a variable instead (it becomes a branch output or loop state), or use cond/whileLoop/scan directly',
  );
}

/** A variable's value as a region output or loop state: a tensor, or a JS number/boolean made one. */
function asStateTensor(value: unknown, name: string, site: Site, what: string): Tensor {
  if (isTensor(value)) return value;
  if (typeof value === 'boolean') return k.scalar(value, 'bool');
  if (typeof value === 'number') return k.scalar(value, Number.isInteger(value) ? 'i32' : 'f32');
  return fail(
    site,
    `\`${name}\` is ${what} ${STATEMENT[site.kind] ?? site.kind} whose condition is a tensor, so it must be a tensor or a number, ` +
      `but it is ${value === undefined ? 'undefined (give it a value before the statement)' : typeof value}`,
  );
}

function stateOf(values: unknown[], site: Site, what: string): Tensor[] {
  return values.map((v, i) => asStateTensor(v, site.names?.[i] ?? `#${i}`, site, what));
}

/** `if (test) {...} else {...}` assigning `init`'s variables: cond on a tensor test. */
export function if_<S extends unknown[]>(
  testValue: unknown,
  thenFn: (...s: S) => S,
  elseFn: (...s: S) => S,
  init: S,
  site: Site,
): S {
  if (!isTensor(testValue)) return testValue ? thenFn(...init) : elseFn(...init);
  const branch = (fn: (...s: S) => S) => () => stateOf(fn(...init), site, 'assigned in');
  return k.cond(predicate(testValue, site), branch(thenFn), branch(elseFn)) as unknown as S;
}

/**
 * `while (test) {...}` (and a counted `for`) over the variables in `init`: plain JS while the
 * test is a JS value, a whileLoop from the current state once it is a tensor.
 */
export function while_<S extends unknown[]>(
  testFn: (...s: S) => unknown,
  bodyFn: (...s: S) => S,
  init: S,
  site: Site,
): S {
  let state = init;
  for (;;) {
    const t = testFn(...state);
    if (isTensor(t)) break;
    if (!t) return state;
    state = bodyFn(...state);
  }
  const start = stateOf(state, site, 'loop state of');
  const result = k.whileLoop(
    (s: Tensor[]) => {
      const t = testFn(...(s as unknown as S));
      return isTensor(t) ? predicate(t, site) : Boolean(t);
    },
    (s: Tensor[]) => stateOf(bodyFn(...(s as unknown as S)), site, 'loop state of'),
    start,
  );
  return result as unknown as S;
}

/** `test ? a() : b()`: cond on a tensor test. */
export function ifExp<T>(testValue: unknown, a: () => T, b: () => T, site: Site): T {
  if (!isTensor(testValue)) return testValue ? a() : b();
  return k.cond(predicate(testValue, site), a, b);
}

const bool = (v: unknown): Tensor | boolean => (isTensor(v) ? (v.dtype === 'bool' ? v : k.notEqual(v, 0)) : Boolean(v));

/** `a && b`: logicalAnd when `a` is a tensor (both sides evaluated), JS `&&` otherwise. */
export function and(a: unknown, b: () => unknown): unknown {
  return isTensor(a) ? k.logicalAnd(bool(a), bool(b())) : a && b();
}

/** `a || b`: logicalOr when `a` is a tensor (both sides evaluated), JS `||` otherwise. */
export function or(a: unknown, b: () => unknown): unknown {
  return isTensor(a) ? k.logicalOr(bool(a), bool(b())) : a || b();
}

export function not(a: unknown): unknown {
  return isTensor(a) ? k.logicalNot(bool(a) as Tensor) : !a;
}

export function neg(a: unknown): unknown {
  return isTensor(a) ? k.neg(a) : -(a as number);
}

type Operand = number | Tensor;
const either = (a: unknown, b: unknown): boolean => isTensor(a) || isTensor(b);

export const lt = (a: unknown, b: unknown): unknown =>
  either(a, b) ? k.less(a as Operand, b as Operand) : (a as number) < (b as number);
export const gt = (a: unknown, b: unknown): unknown =>
  either(a, b) ? k.greater(a as Operand, b as Operand) : (a as number) > (b as number);
export const le = (a: unknown, b: unknown): unknown =>
  either(a, b) ? k.lessEqual(a as Operand, b as Operand) : (a as number) <= (b as number);
export const ge = (a: unknown, b: unknown): unknown =>
  either(a, b) ? k.greaterEqual(a as Operand, b as Operand) : (a as number) >= (b as number);
/** `a + b`; a string on either side is concatenation, as in JS (`'loss ' + t`). */
export const add = (a: unknown, b: unknown): unknown =>
  either(a, b) && typeof a !== 'string' && typeof b !== 'string'
    ? k.add(a as Operand, b as Operand)
    : (a as number) + (b as number);
export const sub = (a: unknown, b: unknown): unknown =>
  either(a, b) ? k.sub(a as Operand, b as Operand) : (a as number) - (b as number);
export const mul = (a: unknown, b: unknown): unknown =>
  either(a, b) ? k.mul(a as Operand, b as Operand) : (a as number) * (b as number);
export const div = (a: unknown, b: unknown): unknown =>
  either(a, b) ? k.div(a as Operand, b as Operand) : (a as number) / (b as number);

/** Postfix `x++`: the old value (the assignment is the second argument, already evaluated). */
export const post = (old: unknown, _updated: unknown): unknown => old;
