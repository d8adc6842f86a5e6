/**
 * @file The AutoGraph source transform: in the functions a module traces (passed to `trace()`,
 * decorated with `@trace()`, or marked `'use autograph'`), rewrites `if`/`else`, `?:`, `&&`,
 * `||`, `!`, `while`, counted `for`, comparisons and arithmetic into calls of the runtime
 * helpers (`./runtime.ts`), which act as plain JS on JS values and become cond/whileLoop on
 * tensors. The rewrite is splicing on the original text and never adds or removes a line, so
 * stack traces keep the user's line numbers (and an incoming source map stays valid by line).
 */
import { parse, type Node } from 'acorn';
import { composeMap, type CopiedSlice, type RawSourceMap } from './source-map.ts';
import {
  assignedOuterNames,
  childrenOf,
  firstUnsupported,
  hasAssignment,
  isFunction,
  walk,
  type AnyNode,
} from './analyze.ts';

export interface TransformOptions {
  /** The file name errors name (default: none). */
  file?: string;
  /** Where the transformed module imports the runtime helpers from. */
  runtime?: string;
  /** Names of class methods decorated with `@trace()` in the original source (see decoratedMethodNames). */
  decoratedMethods?: ReadonlySet<string>;
  /** Maps a (1-based) line and (0-based) column of `source` to the user's original position. */
  mapLocation?: (line: number, column: number) => { line: number; column: number } | null;
  /** The source map `source` came with (a TypeScript loader's), to compose the output's map with. */
  inputMap?: RawSourceMap | null;
}

export interface TransformResult {
  code: string;
  /** Whether any function was converted (if not, `code` is `source`). */
  changed: boolean;
  /** When changed: the map of `code` back to the original files (through `inputMap`). */
  map?: RawSourceMap;
}

export const RUNTIME_SPECIFIER = 'kiln-jit/autograph/runtime';
const NS = '__kilnAutograph';

const COMPARE: Record<string, string> = { '<': 'lt', '>': 'gt', '<=': 'le', '>=': 'ge' };
const ARITH: Record<string, string> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div' };
const COMPOUND: Record<string, string> = { '+=': 'add', '-=': 'sub', '*=': 'mul', '/=': 'div' };

/** Whether a callee is `trace` or `something.trace`. */
function isTraceCallee(c: AnyNode): boolean {
  if (c.type === 'Identifier') return c.name === 'trace';
  return c.type === 'MemberExpression' && !c.computed && (c.property as AnyNode).name === 'trace';
}

function hasDirective(body: AnyNode | undefined): boolean {
  const stmts = body?.type === 'BlockStatement' || body?.type === 'Program' ? (body.body as AnyNode[]) : [];
  return stmts.some((s) => s.type === 'ExpressionStatement' && s.directive === 'use autograph');
}

/** The function nodes to convert: traced ones, decorated methods and `'use autograph'` ones. */
function selectFunctions(program: AnyNode, decorated: ReadonlySet<string>): Set<Node> {
  const chosen = new Set<Node>();
  const tracedNames = new Set<string>();
  const all = hasDirective(program);
  walk(program, (n) => {
    if (isFunction(n) && (all || hasDirective(n.body as AnyNode))) chosen.add(n);
    if (n.type === 'CallExpression' && isTraceCallee(n.callee as AnyNode)) {
      const first = (n.arguments as AnyNode[])[0];
      if (first && isFunction(first)) chosen.add(first);
      else if (first?.type === 'Identifier') tracedNames.add(first.name as string);
    }
    if ((n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') && decorated.has(keyName(n)))
      if (n.value && isFunction(n.value as AnyNode)) chosen.add(n.value as Node);
  });
  walk(program, (n) => {
    if (n.type === 'FunctionDeclaration' && tracedNames.has((n.id as AnyNode).name as string)) chosen.add(n);
    if (
      n.type === 'VariableDeclarator' &&
      (n.id as AnyNode).type === 'Identifier' &&
      n.init &&
      isFunction(n.init as AnyNode)
    )
      if (tracedNames.has((n.id as AnyNode).name as string)) chosen.add(n.init as Node);
  });
  return chosen;
}

function keyName(n: AnyNode): string {
  const key = n.key as AnyNode;
  return (key.type === 'Identifier' || key.type === 'PrivateIdentifier' ? key.name : key.value) as string;
}

/**
 * The names of class methods decorated with `@trace(...)` in `source` (TypeScript or JS before
 * decorators are lowered), read from the text so the lowered output need not be recognised.
 */
export function decoratedMethodNames(source: string): Set<string> {
  const names = new Set<string>();
  const re = /@(?:[\w$]+\.)?trace\s*\(/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    let i = m.index + m[0].length;
    for (let depth = 1; i < source.length && depth > 0; i++)
      depth += source[i] === '(' ? 1 : source[i] === ')' ? -1 : 0;
    const rest = source.slice(i, i + 400).replace(/@[\w$.]+(\s*\([^)]*\))?/g, ' ');
    const name = /^\s*(?:(?:public|private|protected|static|async|override|readonly)\s+)*(#?[\w$]+)\s*[(<]/.exec(rest);
    if (name) names.add(name[1]!);
  }
  return names;
}

/** Rewrites the traced functions of an ES module's JS source (see the file header). */
export function autographTransform(source: string, options: TransformOptions = {}): TransformResult {
  const program = parse(source, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    locations: true,
    allowHashBang: true,
  }) as unknown as AnyNode;
  const chosen = selectFunctions(program, options.decoratedMethods ?? new Set());
  if (chosen.size === 0) return { code: source, changed: false };
  const rewriter = new Rewriter(source, chosen, options);
  const marked = rewriter.gen(program, false);
  const imp = `import * as ${NS} from ${JSON.stringify(options.runtime ?? RUNTIME_SPECIFIER)};`;
  // On the first line (after a hashbang), so no line moves.
  const hashbang = source.startsWith('#!') ? marked.indexOf('\n') + 1 : 0;
  const { code, slices } = unmark(marked.slice(0, hashbang) + imp + marked.slice(hashbang));
  return { code, changed: true, map: composeMap(source, code, slices, options.inputMap ?? null, options.file ?? '') };
}

// Copied slices of the input are marked in the output as MARK offset,length END, then unmarked.
const MARK = '\uE000';
const END = '\uE001';

function unmark(marked: string): { code: string; slices: CopiedSlice[] } {
  const slices: CopiedSlice[] = [];
  let code = '';
  let at = 0;
  for (let m = marked.indexOf(MARK); m >= 0; m = marked.indexOf(MARK, at)) {
    code += marked.slice(at, m);
    const end = marked.indexOf(END, m);
    const [inputStart, length] = marked
      .slice(m + 1, end)
      .split(',')
      .map((x) => parseInt(x, 36));
    // A rewrite may have cut the end of a slice (a block's closing brace), so stop at the next mark.
    const next = marked.indexOf(MARK, end);
    const room = (next < 0 ? marked.length : next) - end - 1;
    slices.push({ inputStart: inputStart!, outputStart: code.length, length: Math.min(length!, room) });
    at = end + 1;
  }
  return { code: code + marked.slice(at), slices };
}

class Rewriter {
  /** Whether copied slices are marked (not when the input itself holds the marker characters). */
  private readonly marks: boolean;
  // Plain fields, not parameter properties: this module may be loaded where TypeScript is only
  // stripped (Node's native type stripping), which rejects syntax that needs transforming.
  private readonly src: string;
  private readonly chosen: Set<Node>;
  private readonly options: TransformOptions;

  constructor(src: string, chosen: Set<Node>, options: TransformOptions) {
    this.src = src;
    this.chosen = chosen;
    this.options = options;
    this.marks = !src.includes(MARK) && !src.includes(END);
  }

  /** The input from `a` to `b`, marked with where it came from. */
  private copy(a: number, b: number): string {
    if (a >= b || !this.marks) return this.src.slice(a, b);
    return `${MARK}${a.toString(36)},${(b - a).toString(36)}${END}${this.src.slice(a, b)}`;
  }

  /** The text of `node` with its children rewritten; `on` says whether we are inside a converted function. */
  gen(node: AnyNode, on: boolean): string {
    if (isFunction(node) && this.chosen.has(node)) on = true;
    if (on) {
      const rewritten = this.rewrite(node);
      if (rewritten !== null) return rewritten;
    }
    return this.splice(node, on);
  }

  private splice(node: AnyNode, on: boolean, replace: Map<Node, string> = new Map()): string {
    let out = '';
    let at = node.start;
    for (const child of childrenOf(node)) {
      // Shorthand properties and plain import/export specifiers hold one node under two keys.
      if (child.start < at) continue;
      out += this.copy(at, child.start) + (replace.get(child) ?? this.gen(child, on));
      at = child.end;
    }
    return out + this.copy(at, node.end);
  }

  /** The newlines between two nodes. */
  private gap(a: unknown, b: unknown): string {
    return this.lines((a as Node).end, (b as Node).start);
  }

  /** The newlines of the source between two offsets, to keep lines where they were. */
  private lines(from: number, to: number): string {
    return '\n'.repeat((this.src.slice(from, to).match(/\n/g) ?? []).length);
  }

  private where(node: AnyNode): { file: string | null; line: number; column: number } {
    const loc = (node.loc as { start: { line: number; column: number } }).start;
    const mapped = this.options.mapLocation?.(loc.line, loc.column) ?? loc;
    return { file: this.options.file ?? null, line: mapped.line, column: mapped.column + 1 };
  }

  /** The call site's description for the runtime's messages, as a JS object literal. */
  private site(node: AnyNode, kind: string, extra: Record<string, unknown> = {}): string {
    return JSON.stringify({ kind, ...this.where(node), ...extra });
  }

  private call(helper: string, ...args: string[]): string {
    return `${NS}.${helper}(${args.join(', ')})`;
  }

  /** The converted text of `node`, or null when the node is not one AutoGraph rewrites. */
  private rewrite(n: AnyNode): string | null {
    const g = (c: unknown): string => this.gen(c as AnyNode, true);
    switch (n.type) {
      case 'IfStatement':
        return this.rewriteIf(n);
      case 'WhileStatement':
        return this.rewriteLoop(n, null, n.test as AnyNode, null, n.body as AnyNode, 'while');
      case 'ForStatement':
        if (!n.test) return null;
        return this.rewriteLoop(
          n,
          n.init as AnyNode | null,
          n.test as AnyNode,
          n.update as AnyNode | null,
          n.body as AnyNode,
          'for',
        );
      case 'DoWhileStatement':
        return this.splice(
          n,
          true,
          new Map([
            [n.test as Node, this.call('test', g(n.test), this.site(n, 'do-while', { construct: 'do-while' }))],
          ]),
        );
      case 'ConditionalExpression':
        return this.call(
          'ifExp',
          g(n.test),
          `${this.gap(n.test, n.consequent)}() => (${g(n.consequent)})`,
          `${this.gap(n.consequent, n.alternate)}() => (${g(n.alternate)})`,
          this.site(n, '?:'),
        );
      case 'LogicalExpression':
        if (n.operator === '??') return null;
        return this.call(
          n.operator === '&&' ? 'and' : 'or',
          g(n.left),
          `${this.gap(n.left, n.right)}() => (${g(n.right)})`,
        );
      case 'UnaryExpression':
        if (n.operator === '!') return this.call('not', g(n.argument));
        if (n.operator === '-') return this.call('neg', g(n.argument));
        return null;
      case 'BinaryExpression': {
        const helper = COMPARE[n.operator as string] ?? ARITH[n.operator as string];
        if (!helper || (n.left as AnyNode).type === 'PrivateIdentifier') return null;
        return this.call(helper, g(n.left), this.gap(n.left, n.right) + g(n.right));
      }
      case 'UpdateExpression': {
        const arg = n.argument as AnyNode;
        if (arg.type !== 'Identifier') return null;
        const name = arg.name as string;
        const step = `(${name} = ${this.call(n.operator === '++' ? 'add' : 'sub', name, '1')})`;
        return n.prefix ? step : this.call('post', name, step);
      }
      case 'AssignmentExpression': {
        const helper = COMPOUND[n.operator as string];
        const left = n.left as AnyNode;
        if (!helper || left.type !== 'Identifier') return null;
        return `${left.name} = ${this.call(helper, left.name as string, this.gap(left, n.right) + g(n.right))}`;
      }
      default:
        return null;
    }
  }

  /** `{ body; return [names]; }` from a statement (a block or a single one). */
  private region(stmt: AnyNode | null, names: string[], extra = ''): string {
    const ret = `return [${names.join(', ')}]; }`;
    if (!stmt) return `{ ${extra}${ret}`;
    const text = this.gen(stmt, true);
    if (stmt.type === 'BlockStatement') return `${text.slice(0, -1)}; ${extra}${ret}`;
    return `{ ${text}; ${extra}${ret}`;
  }

  private assign(names: string[], expr: string): string {
    // In a block of its own: the statement may be the body of an unbraced if or loop.
    return names.length ? `{ [${names.join(', ')}] = ${expr}; }` : `{ ${expr}; }`;
  }

  private rewriteIf(n: AnyNode): string {
    const [test, cons, alt] = [n.test as AnyNode, n.consequent as AnyNode, n.alternate as AnyNode | null];
    const bad = firstUnsupported([cons, alt]);
    if (bad) return this.guard(n, test, 'if', bad);
    const names = assignedOuterNames([cons, alt]);
    const params = `(${names.join(', ')}) => `;
    const parts = [
      this.gen(test, true),
      this.lines(test.end, cons.start) + params + this.region(cons, names),
      (alt ? this.lines(cons.end, alt.start) : '') + params + this.region(alt, names),
      `[${names.join(', ')}]`,
      this.site(n, 'if', { names }),
    ];
    return this.lines(n.start, test.start) + this.assign(names, this.call('if_', ...parts));
  }

  private rewriteLoop(
    n: AnyNode,
    init: AnyNode | null,
    test: AnyNode,
    update: AnyNode | null,
    body: AnyNode,
    kind: 'while' | 'for',
  ): string {
    const bad =
      firstUnsupported([body]) ??
      (hasAssignment(test) ? { construct: 'an assignment in the loop condition', node: test } : null);
    if (bad) return this.guard(n, test, kind, bad);
    // The loop's own `let i` is state too, as is every outer variable the body or update assigns.
    const declared = init?.type === 'VariableDeclaration' ? assignedOuterNames([init], true) : [];
    const names = [...new Set([...declared, ...assignedOuterNames([body, update])])];
    const params = `(${names.join(', ')}) => `;
    const head = init ? `${this.gen(init, true)};` : '';
    const upd = update ? `${this.gen(update, true)}; ` : '';
    const loop = this.call(
      'while_',
      params + `(${this.gen(test, true)})`,
      this.lines(test.end, body.start) + params + this.region(body, names, upd),
      `[${names.join(', ')}]`,
      this.site(n, kind, { names }),
    );
    const pre = this.lines(n.start, init?.start ?? test.start);
    return `${pre}{ ${head}${this.assign(names, loop)} }`;
  }

  /** Keeps the JS statement, with its condition checked: a tensor there is an error naming `bad`. */
  private guard(n: AnyNode, test: AnyNode, kind: string, bad: { construct: string; node: AnyNode }): string {
    const info = this.site(bad.node, kind, { construct: bad.construct, statement: this.where(n) });
    return this.splice(n, true, new Map([[test as Node, this.call('test', this.gen(test, true), info)]]));
  }
}
