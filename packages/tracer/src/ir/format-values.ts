/**
 * @file How numbers, attribute values and types are spelled in printed IR. The parser reads
 * exactly these spellings back.
 */
import { formatShape, type DType, type TensorType } from '@kiln-jit/core';
import type { AttrValue } from './graph.ts';

/** The shortest decimal that reads back as the same f32 (or integer, or nan/inf). */
export function formatNumber(x: number, dtype: DType = 'f32'): string {
  if (dtype === 'bool') return x ? 'true' : 'false';
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (dtype === 'i32' || Number.isInteger(x)) return Object.is(x, -0) ? '-0' : String(x);
  const target = Math.fround(x);
  for (let digits = 1; digits <= 9; digits++) {
    const s = String(Number(target.toPrecision(digits)));
    if (Math.fround(Number(s)) === target) return s;
  }
  return String(target);
}

/** Parses what formatNumber prints. */
export function parseNumber(text: string): number {
  if (text === 'nan') return NaN;
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'true') return 1;
  if (text === 'false') return 0;
  return Number(text);
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function formatAttrValue(v: AttrValue): string {
  if (Array.isArray(v)) return `[${v.map(formatAttrValue).join(',')}]`;
  if (typeof v === 'string')
    return IDENTIFIER.test(v) && v !== 'true' && v !== 'false' && v !== 'nan' && v !== 'inf' ? v : JSON.stringify(v);
  if (typeof v === 'boolean') return String(v);
  return formatNumber(v as number);
}
