/**
 * @file Input signatures: what about a call decides whether a cached trace can serve it. Tensor
 * arguments count by dtype and shape, pytree arguments by structure, anything else by value
 * (objects by identity). Two signatures can be compared to say why a retrace happened.
 */
import { flatten, leafPaths, Tensor, treeDefString, Variable, formatShape } from '@kiln-jit/core';
import { isTensorSpec, type TensorSpec } from './tensor-spec.ts';

export interface LeafSignature {
  /** Where the leaf sits, e.g. `x`, `params.w1`, `batch[0]`. */
  readonly path: string;
  readonly kind: 'tensor' | 'static';
  /** `f32[128,784]` for tensors, the value for static leaves. */
  readonly text: string;
}

export interface Signature {
  readonly key: string;
  /** Per top-level argument: its name and structure string. */
  readonly structures: readonly { name: string; structure: string }[];
  readonly leaves: readonly LeafSignature[];
}

/** A difference between two signatures, for the retrace log. */
export interface SignatureChange {
  readonly argument: string;
  readonly from: string;
  readonly to: string;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;

function identity(x: object): number {
  let id = objectIds.get(x);
  if (id === undefined) objectIds.set(x, (id = nextObjectId++));
  return id;
}

/** Tensors and specs are leaves; so are variables and any non-plain object. */
export function isSignatureLeaf(x: unknown): boolean {
  return x instanceof Tensor || x instanceof Variable || isTensorSpec(x);
}

function describeStatic(x: unknown): string {
  if (x instanceof Variable) return `variable '${x.name}' #${identity(x)}`;
  if (typeof x === 'function') return `function ${x.name || '<anonymous>'} #${identity(x)}`;
  if (x !== null && typeof x === 'object') return `${x.constructor?.name ?? 'object'} #${identity(x)}`;
  if (typeof x === 'number' && Object.is(x, -0)) return '-0';
  if (typeof x === 'bigint') return `${x}n`;
  return x === undefined ? 'undefined' : (JSON.stringify(x) ?? String(x));
}

function describeLeaf(x: unknown): { kind: 'tensor' | 'static'; text: string } {
  if (x instanceof Tensor) return { kind: 'tensor', text: `${x.dtype}${formatShape(x.shape)}` };
  if (isTensorSpec(x))
    return { kind: 'tensor', text: `${(x as TensorSpec).dtype ?? 'f32'}${formatShape((x as TensorSpec).shape)}` };
  return { kind: 'static', text: describeStatic(x) };
}

/** The signature of a call with `args`; `names` are the function's parameter names. */
export function signatureOf(args: readonly unknown[], names: readonly string[], thisArg?: unknown): Signature {
  const structures: { name: string; structure: string }[] = [];
  const leaves: LeafSignature[] = [];
  args.forEach((arg, i) => {
    const name = names[i] ?? `arg${i}`;
    const { leaves: argLeaves, def } = flatten(arg, isSignatureLeaf);
    structures.push({ name, structure: treeDefString(def) });
    const paths = leafPaths(def, name);
    argLeaves.forEach((leaf, j) => leaves.push({ path: paths[j]!, ...describeLeaf(leaf) }));
  });
  const self = thisArg === undefined ? '' : `this=${describeStatic(thisArg)}|`;
  const key =
    self + structures.map((s) => s.structure).join(',') + '|' + leaves.map((l) => `${l.kind[0]}:${l.text}`).join(';');
  return { key, structures, leaves };
}

/** What changed between two signatures (structure first, then leaf by leaf). */
export function signatureChanges(before: Signature, after: Signature): SignatureChange[] {
  const changes: SignatureChange[] = [];
  const count = Math.max(before.structures.length, after.structures.length);
  for (let i = 0; i < count; i++) {
    const b = before.structures[i];
    const a = after.structures[i];
    if (b?.structure !== a?.structure) {
      changes.push({
        argument: a?.name ?? b!.name,
        from: b ? `structure ${b.structure}` : 'absent',
        to: a ? `structure ${a.structure}` : 'absent',
      });
    }
  }
  if (changes.length > 0) return changes;
  before.leaves.forEach((b, i) => {
    const a = after.leaves[i]!;
    if (b.text !== a.text) changes.push({ argument: a.path, from: b.text, to: a.text });
  });
  return changes;
}
