/**
 * @file Pytrees: nested arrays and plain objects whose leaves are anything else (tensors,
 * variables, numbers, ...). grad, optimizers and trace flatten them to leaves and back.
 */

/** Describes the structure of a pytree, without its leaves. */
export type TreeDef =
  { kind: 'leaf' } | { kind: 'array'; children: TreeDef[] } | { kind: 'object'; keys: string[]; children: TreeDef[] };

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Flattens a pytree to its leaves (depth-first, object keys in insertion order). `isLeaf` may
 * declare some arrays or objects leaves (tensor specs, say).
 */
export function flatten(tree: unknown, isLeaf?: (x: unknown) => boolean): { leaves: unknown[]; def: TreeDef } {
  const leaves: unknown[] = [];
  const walk = (node: unknown): TreeDef => {
    if (isLeaf?.(node)) {
      leaves.push(node);
      return { kind: 'leaf' };
    }
    if (Array.isArray(node)) return { kind: 'array', children: node.map(walk) };
    if (isPlainObject(node)) {
      const keys = Object.keys(node);
      return { kind: 'object', keys, children: keys.map((k) => walk(node[k])) };
    }
    leaves.push(node);
    return { kind: 'leaf' };
  };
  return { leaves, def: walk(tree) };
}

/** Rebuilds a pytree of structure `def` from `leaves`. */
export function unflatten<T = unknown>(def: TreeDef, leaves: readonly unknown[]): T {
  let next = 0;
  const build = (d: TreeDef): unknown => {
    if (d.kind === 'leaf') return leaves[next++];
    if (d.kind === 'array') return d.children.map(build);
    return Object.fromEntries(d.keys.map((k, i) => [k, build(d.children[i]!)]));
  };
  return build(def) as T;
}

/** Applies `fn` to every leaf, keeping the structure. */
export function mapTree<T = unknown>(tree: unknown, fn: (leaf: unknown, index: number) => unknown): T {
  const { leaves, def } = flatten(tree);
  return unflatten<T>(def, leaves.map(fn));
}

/** A compact string of a tree's structure, e.g. `{w:*,b:[*,*]}`; equal structures give equal strings. */
export function treeDefString(def: TreeDef): string {
  if (def.kind === 'leaf') return '*';
  if (def.kind === 'array') return `[${def.children.map(treeDefString).join(',')}]`;
  return `{${def.keys.map((k, i) => `${JSON.stringify(k)}:${treeDefString(def.children[i]!)}`).join(',')}}`;
}

/** Paths of the leaves, e.g. `params.w1`, `[2]`, for messages. */
export function leafPaths(def: TreeDef, prefix = ''): string[] {
  if (def.kind === 'leaf') return [prefix];
  if (def.kind === 'array') return def.children.flatMap((c, i) => leafPaths(c, `${prefix}[${i}]`));
  return def.children.flatMap((c, i) => leafPaths(c, prefix ? `${prefix}.${def.keys[i]}` : def.keys[i]!));
}

/** Dotted names of the leaves, e.g. `layers.0.w` (the names PyTorch's state_dict and safetensors use). */
export function dottedNames(def: TreeDef, prefix = ''): string[] {
  const join = (key: string | number): string => (prefix ? `${prefix}.${key}` : String(key));
  if (def.kind === 'leaf') return [prefix];
  if (def.kind === 'array') return def.children.flatMap((c, i) => dottedNames(c, join(i)));
  return def.children.flatMap((c, i) => dottedNames(c, join(def.keys[i]!)));
}
