/**
 * @file The kind of each attribute of each op, so the parser can read attributes back and the
 * verifier can check them. The table's type is computed from core's `OpAttrs`: a missing op, a
 * missing or extra attribute, or a kind that does not fit the attribute's type is a compile error.
 */
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS, type DType, type OpAttrs, type OpName } from '@kiln-jit/core';

/** int: integer; ints: integer list; pairs: list of [int, int]; bool prints only when true. */
export type AttrKind = 'int' | 'ints' | 'bool' | 'number' | 'string' | 'dtype' | 'pairs';

/** The kinds that can describe an attribute of TypeScript type T. */
type KindOf<T> = [T] extends [DType]
  ? 'dtype'
  : [T] extends [boolean]
    ? 'bool'
    : [T] extends [string]
      ? 'string'
      : [T] extends [number]
        ? 'int' | 'number'
        : [T] extends [readonly (readonly [number, number])[]]
          ? 'pairs'
          : [T] extends [readonly number[]]
            ? 'ints'
            : never;

/** The schema of an attribute record: one kind per attribute. */
type SchemaOf<A> = { readonly [P in keyof A]-?: KindOf<A[P]> };

type Schema = Readonly<Record<string, AttrKind>>;

/** The same schema for every op in `ops`. */
function each<const Ops extends readonly OpName[], S extends Schema>(ops: Ops, schema: S): Record<Ops[number], S> {
  return Object.fromEntries(ops.map((op) => [op, schema])) as Record<Ops[number], S>;
}

const reduce = { axes: 'ints', keepDims: 'bool' } as const;

const schemas: { readonly [K in OpName]: SchemaOf<OpAttrs[K]> } = {
  ...each(UNARY_OPS, {}),
  ...each(BINARY_OPS, {}),
  ...each(REDUCE_OPS, reduce),
  leakyRelu: { alpha: 'number' },
  gelu: { approximate: 'bool' },
  cast: { dtype: 'dtype' },
  print: { label: 'string' },
  where: {},
  reshape: { shape: 'ints' },
  transpose: { perm: 'ints' },
  broadcastTo: { shape: 'ints' },
  slice: { begin: 'ints', size: 'ints' },
  concat: { axis: 'int' },
  pad: { paddings: 'pairs', value: 'number' },
  gather: { axis: 'int' },
  scatterAdd: { axis: 'int', dimSize: 'int' },
  oneHot: { depth: 'int' },
  matmul: { transposeA: 'bool', transposeB: 'bool' },
  randomBits: { shape: 'ints', dtype: 'dtype' },
};

export const attrSchema: { readonly [K in OpName]: Schema } = schemas;
