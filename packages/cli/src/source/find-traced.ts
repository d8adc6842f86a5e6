/**
 * @file Finds traced functions in a source file without running it: every `trace(fn, options)`
 * call and every method decorated with `@trace(options)`, with the name trace() will give it
 * and its inputSignature when the options spell one out.
 */
import { Node, SyntaxKind, type CallExpression, type Expression, type SourceFile } from 'ts-morph';
import { sourceFileAt } from './project.ts';

/** A traced function as written in the source. */
export interface TracedSource {
  /** The name trace() gives it (its `traceName`, what `--fn` matches). */
  readonly name: string;
  /** `function` for `trace(fn)`, `method` for `@trace()`. */
  readonly kind: 'function' | 'method';
  /** What it is bound to: `const step`, `Classifier.trainStep`; null for a bare call. */
  readonly symbol: string | null;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The inputSignature as types (`f32[32,784] i32[32]`), or its source text; null when absent. */
  readonly inputSignature: string | null;
}

/** The local names under which `trace` is imported, and the namespaces it can be reached through. */
function traceBindings(file: SourceFile): { names: Set<string>; namespaces: Set<string> } {
  const names = new Set<string>(['trace']);
  const namespaces = new Set<string>();
  for (const decl of file.getImportDeclarations()) {
    for (const spec of decl.getNamedImports()) {
      if (spec.getName() === 'trace') names.add(spec.getAliasNode()?.getText() ?? 'trace');
    }
    const ns = decl.getNamespaceImport();
    if (ns) namespaces.add(ns.getText());
  }
  return { names, namespaces };
}

function isTraceCallee(callee: Expression, bindings: ReturnType<typeof traceBindings>): boolean {
  if (Node.isIdentifier(callee)) return bindings.names.has(callee.getText());
  return (
    Node.isPropertyAccessExpression(callee) &&
    callee.getName() === 'trace' &&
    bindings.namespaces.has(callee.getExpression().getText())
  );
}

/** Follows an identifier to the initializer of a top-level `const` of this file. */
function resolveConst(expr: Node): Node {
  if (!Node.isIdentifier(expr)) return expr;
  const init = expr.getSourceFile().getVariableDeclaration(expr.getText())?.getInitializer();
  return init ? resolveConst(unwrap(init)) : expr;
}

/** Strips `as`, `satisfies`, `!` and parentheses. */
function unwrap(expr: Node): Node {
  if (
    Node.isAsExpression(expr) ||
    Node.isSatisfiesExpression(expr) ||
    Node.isParenthesizedExpression(expr) ||
    Node.isNonNullExpression(expr)
  )
    return unwrap(expr.getExpression());
  return expr;
}

const collapse = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** A property of an object literal options argument, after following consts. */
function optionOf(options: Node | undefined, key: string): Node | undefined {
  const literal = options && resolveConst(unwrap(options));
  if (!literal || !Node.isObjectLiteralExpression(literal)) return undefined;
  const prop = literal.getProperty(key);
  if (Node.isPropertyAssignment(prop)) return unwrap(prop.getInitializerOrThrow());
  if (Node.isShorthandPropertyAssignment(prop)) return resolveConst(prop.getNameNode());
  return undefined;
}

function stringOption(options: Node | undefined, key: string): string | undefined {
  const value = optionOf(options, key);
  return value && Node.isStringLiteral(value) ? value.getLiteralValue() : undefined;
}

/** `{ shape: [32, 784], dtype: 'f32' }` as `f32[32,784]`, or null when it is not that literal. */
function specText(node: Node): string | null {
  const shape = optionOf(node, 'shape');
  const dtypeNode = optionOf(node, 'dtype');
  if (!shape || !Node.isArrayLiteralExpression(shape)) return null;
  const dims = shape.getElements().map((d) => resolveConst(unwrap(d)));
  if (!dims.every((d) => Node.isNumericLiteral(d))) return null;
  if (dtypeNode && !Node.isStringLiteral(dtypeNode)) return null;
  const dtype = dtypeNode && Node.isStringLiteral(dtypeNode) ? dtypeNode.getLiteralValue() : 'f32';
  return `${dtype}[${dims.map((d) => d.getText()).join(',')}]`;
}

function signatureText(options: Node | undefined): string | null {
  const value = optionOf(options, 'inputSignature');
  if (!value) return null;
  const list = resolveConst(value);
  if (Node.isArrayLiteralExpression(list)) {
    const specs = list.getElements().map(specText);
    if (specs.every((s) => s !== null)) return specs.join(' ');
  }
  return collapse(value.getText());
}

/** The name JavaScript gives the function trace() receives (trace() falls back to 'fn'). */
function functionName(fn: Node | undefined): string {
  const node = fn && unwrap(fn);
  if (!node) return 'fn';
  if (Node.isFunctionExpression(node)) return node.getName() ?? 'fn';
  if (Node.isIdentifier(node)) return node.getText();
  if (Node.isPropertyAccessExpression(node)) return node.getName();
  return 'fn';
}

/** The variable or property a `trace(fn)` call is assigned to. */
function bindingOf(call: CallExpression): string | null {
  let node: Node = call;
  while (node.getParent() && unwrap(node.getParentOrThrow()) === unwrap(call)) node = node.getParentOrThrow();
  const parent = node.getParent();
  if (Node.isVariableDeclaration(parent)) {
    const list = parent.getParent();
    return `${Node.isVariableDeclarationList(list) ? list.getDeclarationKind() : 'const'} ${parent.getName()}`;
  }
  if (Node.isPropertyAssignment(parent) || Node.isPropertyDeclaration(parent)) return parent.getName();
  return null;
}

function where(file: SourceFile, node: Node): { file: string; line: number; column: number } {
  const { line, column } = file.getLineAndColumnAtPos(node.getStart());
  return { file: file.getFilePath(), line, column };
}

function fromDecorator(file: SourceFile, call: CallExpression): TracedSource | null {
  const method = call.getParentOrThrow().getParent();
  if (!Node.isMethodDeclaration(method)) return null;
  const options = call.getArguments()[0];
  const owner = method.getParent();
  const className = (Node.isClassDeclaration(owner) || Node.isClassExpression(owner)) && owner.getName();
  return {
    name: stringOption(options, 'name') ?? method.getName(),
    kind: 'method',
    symbol: `${className || '(class)'}.${method.getName()}`,
    ...where(file, method.getNameNode()),
    inputSignature: signatureText(options),
  };
}

function fromCall(file: SourceFile, call: CallExpression): TracedSource | null {
  const [fn, options] = call.getArguments();
  // trace(options) outside a decorator makes a decorator, not a traced function.
  if (!fn || Node.isObjectLiteralExpression(unwrap(fn))) return null;
  return {
    name: stringOption(options, 'name') ?? functionName(fn),
    kind: 'function',
    symbol: bindingOf(call),
    ...where(file, call),
    inputSignature: signatureText(options),
  };
}

/** Every traced function in the file at absolute `path`, in source order. */
export function findTracedFunctions(path: string): TracedSource[] {
  const file = sourceFileAt(path);
  const bindings = traceBindings(file);
  const found: TracedSource[] = [];
  for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    if (!isTraceCallee(call.getExpression(), bindings)) continue;
    const entry = Node.isDecorator(call.getParent()) ? fromDecorator(file, call) : fromCall(file, call);
    if (entry) found.push(entry);
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}
