/**
 * @file Reads a traced function's source with acorn: its parameter names (to name graph
 * arguments) and the `console.*` calls in it, which run only while tracing.
 */
import { parse, type Node as AcornNode } from 'acorn';

export interface SourceFacts {
  /** Parameter names; destructured or unreadable parameters get null. */
  paramNames: (string | null)[];
  /** Name of the rest parameter, if the last parameter is `...name`. */
  restName: string | null;
  /** `console.log`-style calls found, with their line within the function's source (1-based). */
  consoleCalls: { method: string; line: number }[];
  /** Whether the body reads `this` (arrow functions inside included, nested functions not). */
  usesThis: boolean;
}

/** When the source cannot be read, assume the worst: `this` matters. */
const EMPTY: SourceFacts = { paramNames: [], restName: null, consoleCalls: [], usesThis: true };

type FunctionLike = AcornNode & {
  params: (AcornNode & { name?: string; argument?: { name?: string } })[];
  body: AcornNode;
};

/** Parses a function's source: as an expression, or (for a method) as the first member of a class. */
function parseFunction(source: string): FunctionLike | null {
  const attempts = [`(${source})`, `(class { ${source} })`];
  for (const text of attempts) {
    try {
      const program = parse(text, { ecmaVersion: 'latest', locations: true }) as unknown as {
        body: { expression: AcornNode & { body?: { body: { value: FunctionLike }[] } } }[];
      };
      const expr = program.body[0]!.expression;
      if (expr.type === 'ClassExpression') return expr.body!.body[0]!.value;
      return expr as unknown as FunctionLike;
    } catch {
      // try the next wrapping
    }
  }
  return null;
}

/** Whether `this` appears in a function body, outside nested non-arrow functions (which rebind it). */
function readsThis(body: AcornNode): boolean {
  let found = false;
  const visit = (node: unknown): void => {
    if (found || node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as AcornNode;
    if (n.type === 'ThisExpression') found = true;
    if (n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration') return;
    for (const [key, child] of Object.entries(n)) if (key !== 'loc' && typeof child === 'object') visit(child);
  };
  visit(body);
  return found;
}

/** Visits every node of an acorn AST. */
function walk(node: unknown, visit: (n: AcornNode) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  const n = node as AcornNode;
  if (typeof n.type === 'string') visit(n);
  for (const [key, child] of Object.entries(n)) if (key !== 'loc' && typeof child === 'object') walk(child, visit);
}

function consoleCallsIn(body: AcornNode): SourceFacts['consoleCalls'] {
  const calls: SourceFacts['consoleCalls'] = [];
  walk(body, (n) => {
    const call = n as AcornNode & {
      callee?: { type: string; object?: { type: string; name?: string }; property?: { name?: string } };
    };
    const callee = call.callee;
    if (
      n.type === 'CallExpression' &&
      callee?.type === 'MemberExpression' &&
      callee.object?.type === 'Identifier' &&
      callee.object.name === 'console'
    ) {
      calls.push({ method: callee.property?.name ?? '?', line: n.loc!.start.line });
    }
  });
  return calls;
}

/** What acorn can tell about `fn` from its source text. */
export function inspectSource(fn: (...args: never[]) => unknown): SourceFacts {
  const node = parseFunction(Function.prototype.toString.call(fn));
  if (!node) return EMPTY;
  const last = node.params.at(-1);
  const restName = last?.type === 'RestElement' ? (last.argument?.name ?? null) : null;
  const params = restName ? node.params.slice(0, -1) : node.params;
  return {
    paramNames: params.map((p) =>
      p.type === 'Identifier'
        ? p.name!
        : p.type === 'AssignmentPattern'
          ? ((p as unknown as { left: { name?: string } }).left.name ?? null)
          : null,
    ),
    restName,
    consoleCalls: consoleCallsIn(node.body),
    usesThis: node.type !== 'ArrowFunctionExpression' && readsThis(node.body),
  };
}
