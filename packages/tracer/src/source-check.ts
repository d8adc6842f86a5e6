/**
 * @file Reads a traced function's source with acorn: its parameter names (to name graph
 * arguments), the `console.*` calls in it, which run only while tracing, and JS conditions on
 * what is plainly a tensor (`if (t)`), which would silently always be true.
 */
import { parse, type Node as AcornNode } from 'acorn';
import { isOpName } from '@kiln-jit/core';

export interface SourceFacts {
  /** Parameter names; destructured or unreadable parameters get null. */
  paramNames: (string | null)[];
  /** Name of the rest parameter, if the last parameter is `...name`. */
  restName: string | null;
  /** `console.log`-style calls found, with their line within the function's source (1-based). */
  consoleCalls: { method: string; line: number }[];
  /** Whether the body reads `this` (arrow functions inside included, nested functions not). */
  usesThis: boolean;
  /**
   * JS conditions (`if`, `while`, `for`, `?:`, `!`, `&&`, `||`) on a parameter (a tensor if its
   * argument is one) or on the result of a Kiln op call, with the line within the source.
   */
  tensorTests: TensorTest[];
}

export interface TensorTest {
  construct: string;
  /** The source text of the condition. */
  text: string;
  line: number;
  /** The parameter tested, when the condition is a bare parameter name. */
  param: string | null;
}

/** When the source cannot be read, assume the worst: `this` matters. */
const EMPTY: SourceFacts = { paramNames: [], restName: null, consoleCalls: [], usesThis: true, tensorTests: [] };

/** Objects whose methods share names with ops (Math.max) but return plain numbers. */
const JS_GLOBALS = new Set(['Math', 'Number', 'Object', 'Array', 'JSON', 'Date', 'String', 'Reflect', 'console']);

type Expr = AcornNode & {
  name?: string;
  callee?: Expr;
  object?: Expr;
  property?: Expr;
  computed?: boolean;
};

/** Whether `e` is a call of a Kiln op (`k.greater(..)`, `greater(..)`, `x.sum()`), which returns a tensor. */
function isOpCall(e: Expr, tensors: Set<string>): boolean {
  if (e.type === 'Identifier') return tensors.has(e.name!);
  if (e.type !== 'CallExpression') return false;
  const callee = e.callee!;
  if (callee.type === 'Identifier') return isOpName(callee.name!) || callee.name === 'mean';
  if (callee.type !== 'MemberExpression' || callee.computed) return false;
  const name = callee.property!.name ?? '';
  if (callee.object!.type === 'Identifier' && JS_GLOBALS.has(callee.object!.name!)) return false;
  return isOpName(name) || name === 'mean';
}

const TEST_OF: Record<string, string> = {
  IfStatement: 'if',
  WhileStatement: 'while',
  DoWhileStatement: 'do-while',
  ForStatement: 'for',
  ConditionalExpression: '?:',
};

function tensorTestsIn(fn: FunctionLike, params: (string | null)[], source: string): TensorTest[] {
  // Names bound straight to an op's result (`const t = greater(a, b)`) are tensors too.
  const tensors = new Set<string>();
  walk(fn.body, (n) => {
    const d = n as AcornNode & { id?: Expr; init?: Expr };
    if (n.type === 'VariableDeclarator' && d.id?.type === 'Identifier' && d.init && isOpCall(d.init, new Set()))
      tensors.add(d.id.name!);
  });
  const paramSet = new Set(params.filter((p): p is string => p !== null));
  const found: TensorTest[] = [];
  const check = (construct: string, e: Expr | undefined | null): void => {
    if (!e) return;
    const param = e.type === 'Identifier' && paramSet.has(e.name!) && !tensors.has(e.name!) ? e.name! : null;
    if (param !== null || isOpCall(e, tensors)) {
      found.push({ construct, text: source.slice(e.start, e.end), line: e.loc!.start.line, param });
    }
  };
  walk(fn.body, (n) => {
    const node = n as AcornNode & { test?: Expr; argument?: Expr; operator?: string; left?: Expr };
    if (n.type in TEST_OF) check(TEST_OF[n.type]!, node.test);
    else if (n.type === 'UnaryExpression' && node.operator === '!') check('!', node.argument);
    else if (n.type === 'LogicalExpression' && node.operator !== '??') check(node.operator!, node.left);
  });
  return found;
}

type FunctionLike = AcornNode & {
  params: (AcornNode & { name?: string; argument?: { name?: string } })[];
  body: AcornNode;
};

/** Parses a function's source: as an expression, or (for a method) as the first member of a class. */
function parseFunction(source: string): { node: FunctionLike; text: string } | null {
  const attempts = [`(${source})`, `(class { ${source} })`];
  for (const text of attempts) {
    try {
      const program = parse(text, { ecmaVersion: 'latest', locations: true }) as unknown as {
        body: { expression: AcornNode & { body?: { body: { value: FunctionLike }[] } } }[];
      };
      const expr = program.body[0]!.expression;
      if (expr.type === 'ClassExpression') return { node: expr.body!.body[0]!.value, text };
      return { node: expr as unknown as FunctionLike, text };
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

/**
 * What `fn`'s source text tells: from a plain scan when the text has nothing for acorn to find,
 * else from acorn. (A cold acorn takes ~5 ms, which a process's first traced call would pay.)
 */
export function inspectSource(fn: (...args: never[]) => unknown): SourceFacts {
  const source = Function.prototype.toString.call(fn);
  return factsWithoutParsing(source) ?? parsedFacts(source);
}

// Every construct the parse looks for needs one of these words or characters in the text, and
// no escape can spell a keyword: text without them has no console call, no `this` and no
// condition. A match in a string or a comment only sends the source to acorn. A native or bound
// function's `[native code]` goes there too (acorn cannot read it, and assumes the worst).
const PARSER_NEEDED = /[?!&|]|\b(?:if|while|for|do|switch|console|this|super|arguments)\b|\[native code\]/;
// The parameter list of `function f(..)`, `async (..) =>`, a method `m(..) {`, or `x =>`.
const PARENTHESIZED_HEAD = /^(?:async\s+)?(?:function\b\s*\*?\s*[\w$]*|\*?\s*#?[\w$]+)?\s*\(([^()]*)\)\s*(?:=>|\{)/;
const BARE_ARROW_HEAD = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/;
const PLAIN_NAMES = /^\s*(?:[A-Za-z_$][\w$]*\s*(?:,\s*[A-Za-z_$][\w$]*\s*)*,?\s*)?$/;

/**
 * The facts of a source with none of PARSER_NEEDED's words and only plain parameter names (no
 * defaults, patterns or rest), read without parsing it; null for any other source.
 */
export function factsWithoutParsing(source: string): SourceFacts | null {
  if (PARSER_NEEDED.test(source)) return null;
  const bare = BARE_ARROW_HEAD.exec(source);
  const list = bare ? bare[1]! : PARENTHESIZED_HEAD.exec(source)?.[1];
  if (list === undefined || !PLAIN_NAMES.test(list)) return null;
  const paramNames = list
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  return { paramNames, restName: null, consoleCalls: [], usesThis: false, tensorTests: [] };
}

/** What acorn can tell about a function from its source text. */
export function parsedFacts(source: string): SourceFacts {
  const parsed = parseFunction(source);
  if (!parsed) return EMPTY;
  const { node, text } = parsed;
  const last = node.params.at(-1);
  const restName = last?.type === 'RestElement' ? (last.argument?.name ?? null) : null;
  const params = restName ? node.params.slice(0, -1) : node.params;
  const paramNames = params.map((p) =>
    p.type === 'Identifier'
      ? p.name!
      : p.type === 'AssignmentPattern'
        ? ((p as unknown as { left: { name?: string } }).left.name ?? null)
        : null,
  );
  return {
    paramNames,
    restName,
    consoleCalls: consoleCallsIn(node.body),
    usesThis: node.type !== 'ArrowFunctionExpression' && readsThis(node.body),
    tensorTests: tensorTestsIn(node, paramNames, text),
  };
}
