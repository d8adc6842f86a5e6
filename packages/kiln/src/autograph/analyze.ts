/**
 * @file What the AutoGraph rewrite needs to know about a branch or loop body before converting
 * it: the outer variables it assigns (they become branch outputs or loop state) and the first
 * construct that cannot live inside a cond/whileLoop region (return, break, continue, await,
 * yield, a write to an object property).
 */
import type { Node } from 'acorn';

/** An acorn node seen as a bag of fields, for generic walking. */
export type AnyNode = Node & Record<string, unknown>;

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);
const LOOP_TYPES = new Set(['WhileStatement', 'DoWhileStatement', 'ForStatement', 'ForInStatement', 'ForOfStatement']);

export const isFunction = (n: Node): boolean => FUNCTION_TYPES.has(n.type);

/** The direct child nodes of `node`, in source order. */
export function childrenOf(node: Node): AnyNode[] {
  const out: AnyNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'loc' || key === 'type') continue;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items)
      if (item && typeof item === 'object' && typeof (item as Node).type === 'string') out.push(item as AnyNode);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Calls `visit` on every node under `node` (itself included); `visit` returning false skips a subtree. */
export function walk(node: Node, visit: (n: AnyNode) => boolean | void): void {
  if (visit(node as AnyNode) === false) return;
  for (const child of childrenOf(node)) walk(child, visit);
}

function patternNames(p: AnyNode | null | undefined, out: string[]): void {
  if (!p) return;
  if (p.type === 'Identifier') out.push(p.name as string);
  else if (p.type === 'ArrayPattern') for (const e of p.elements as AnyNode[]) patternNames(e, out);
  else if (p.type === 'ObjectPattern')
    for (const prop of p.properties as AnyNode[])
      patternNames((prop.type === 'RestElement' ? prop.argument : prop.value) as AnyNode, out);
  else if (p.type === 'AssignmentPattern') patternNames(p.left as AnyNode, out);
  else if (p.type === 'RestElement') patternNames(p.argument as AnyNode, out);
}

/**
 * The variables `nodes` assign that are declared outside them, in first-assignment order. A
 * `let`/`const`/class/function name declared anywhere inside counts as local (names shadowed
 * in one inner block and assigned outer in another are rare enough to accept). Nested
 * functions are not looked into: their assignments happen when they are called. A `var` declared
 * inside is function-scoped, so it is assigned, not local.
 */
export function assignedOuterNames(nodes: readonly (Node | null | undefined)[], declarations = false): string[] {
  const assigned: string[] = [];
  const local = new Set<string>();
  for (const root of nodes) {
    if (!root) continue;
    walk(root, (n) => {
      if (n !== root && isFunction(n)) {
        if (n.type === 'FunctionDeclaration') local.add((n.id as AnyNode).name as string);
        return false;
      }
      if (n.type === 'VariableDeclaration') {
        const names: string[] = [];
        for (const d of n.declarations as AnyNode[]) patternNames(d.id as AnyNode, names);
        // `declarations`: the caller owns these names (a for loop's `let i`), so they count as assigned.
        if (n.kind === 'var' || declarations) assigned.push(...names);
        else names.forEach((x) => local.add(x));
      } else if (n.type === 'ClassDeclaration' && n.id) local.add((n.id as AnyNode).name as string);
      else if (n.type === 'CatchClause') patternNames(n.param as AnyNode, []);
      else if (n.type === 'AssignmentExpression') patternNames(n.left as AnyNode, assigned);
      else if (n.type === 'UpdateExpression') patternNames(n.argument as AnyNode, assigned);
      else if ((n.type === 'ForInStatement' || n.type === 'ForOfStatement') && n.left)
        if ((n.left as AnyNode).type !== 'VariableDeclaration') patternNames(n.left as AnyNode, assigned);
    });
  }
  return [...new Set(assigned)].filter((x) => !local.has(x));
}

export interface Unsupported {
  /** The construct as the user wrote it, for the message: `return`, `break`, `obj.prop = ...`. */
  construct: string;
  node: AnyNode;
}

const PROPERTY_WRITE = 'a write to an object property (mutation of an outer object)';

/**
 * The first construct in `nodes` that a cond/whileLoop region cannot express: it would leave the
 * region (return, a break/continue aimed outside, await, yield) or change an object the region
 * does not own (`obj.prop = v`, `obj.prop++`, `delete obj.prop`). Nested functions are skipped.
 */
export function firstUnsupported(nodes: readonly (Node | null | undefined)[]): Unsupported | null {
  let found: Unsupported | null = null;
  const visit = (n: AnyNode, loops: number, switches: number): void => {
    if (found) return;
    const hit = (construct: string): void => void (found = { construct, node: n });
    if (isFunction(n)) return;
    if (n.type === 'ReturnStatement') return hit('return');
    if (n.type === 'AwaitExpression') return hit('await');
    if (n.type === 'YieldExpression') return hit('yield');
    if (n.type === 'BreakStatement' && (n.label || (loops === 0 && switches === 0))) return hit('break');
    if (n.type === 'ContinueStatement' && (n.label || loops === 0)) return hit('continue');
    if (n.type === 'AssignmentExpression' && (n.left as AnyNode).type === 'MemberExpression')
      return hit(PROPERTY_WRITE);
    if (n.type === 'UpdateExpression' && (n.argument as AnyNode).type === 'MemberExpression')
      return hit(PROPERTY_WRITE);
    if (n.type === 'UnaryExpression' && n.operator === 'delete') return hit(PROPERTY_WRITE);
    const inLoop = LOOP_TYPES.has(n.type) ? 1 : 0;
    const inSwitch = n.type === 'SwitchStatement' ? 1 : 0;
    for (const c of childrenOf(n)) visit(c, loops + inLoop, switches + inSwitch);
  };
  for (const n of nodes) if (n) visit(n as AnyNode, 0, 0);
  return found;
}

/** Whether `node` assigns anything (a loop condition that does cannot be a whileLoop region). */
export function hasAssignment(node: Node | null | undefined): boolean {
  let found = false;
  if (node)
    walk(node, (n) => {
      if (isFunction(n)) return false;
      if (n.type === 'AssignmentExpression' || n.type === 'UpdateExpression') found = true;
      return !found;
    });
  return found;
}
