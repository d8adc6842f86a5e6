/**
 * @file The kind of each attribute of each op, so the parser can read attributes back and the
 * verifier can check them. A missing op is a type error.
 */
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS, type OpName } from '@kiln-jit/core';

/** int: integer; ints: integer list; pairs: list of [int, int]; bool prints only when true. */
export type AttrKind = 'int' | 'ints' | 'bool' | 'number' | 'string' | 'dtype' | 'pairs';

type Schema = Readonly<Record<string, AttrKind>>;

const none = (ops: readonly OpName[]): Record<string, Schema> => Object.fromEntries(ops.map((op) => [op, {}]));
const reduce: Schema = { axes: 'ints', keepDims: 'bool' };

export const attrSchema: { readonly [K in OpName]: Schema } = {
  ...(none(UNARY_OPS) as Record<(typeof UNARY_OPS)[number], Schema>),
  ...(none(BINARY_OPS) as Record<(typeof BINARY_OPS)[number], Schema>),
  ...(Object.fromEntries(REDUCE_OPS.map((op) => [op, reduce])) as Record<(typeof REDUCE_OPS)[number], Schema>),
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
