/**
 * @file Reads printed IR back into a graph, so that `print(parse(print(g))) === print(g)`.
 * Errors give the line and column of the offending token.
 */
import { isDType, isOpName, KilnError, type DType, type TensorType } from '@kiln-jit/core';
import {
  CONSTANT_OP,
  GraphBuilder,
  type AttrValue,
  type Attrs,
  type Graph,
  type ParamKind,
  type Value,
} from './graph.ts';
import { attrSchema, type AttrKind } from './attr-schema.ts';
import { isFusedOp } from './fusion.ts';
import { isRegionOp, REGION_ATTRS, REGION_NAMES } from './regions.ts';
import { parseNumber } from './format-values.ts';

/** Malformed IR text; `location` holds the line and column within the text. */
export class KilnParseError extends KilnError {}

type TokenKind = 'value' | 'ident' | 'number' | 'string' | 'punct' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  column: number;
}

const TOKEN =
  /\s+|#[^\n]*|(%[A-Za-z0-9_.]+)|(-?inf\b|nan\b|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_.]*)|("(?:[^"\\]|\\.)*")|(<-|[@(){}[\],:=])/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let lineStart = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    const column = start - lineStart + 1;
    if (!m) throw parseErrorAt(line, column, `unexpected character ${JSON.stringify(text[start])}`);
    const kind: TokenKind | null = m[1]
      ? 'value'
      : m[2]
        ? 'number'
        : m[3]
          ? 'ident'
          : m[4]
            ? 'string'
            : m[5]
              ? 'punct'
              : null;
    if (kind) tokens.push({ kind, text: m[0], line, column });
    for (let i = start; i < TOKEN.lastIndex; i++) {
      if (text[i] === '\n') {
        line++;
        lineStart = i + 1;
      }
    }
  }
  tokens.push({ kind: 'eof', text: 'end of input', line, column: text.length - lineStart + 1 });
  return tokens;
}

function parseErrorAt(line: number, column: number, message: string): KilnParseError {
  return new KilnParseError(`IR parse error at line ${line}, column ${column}: ${message}`, {
    file: '<ir>',
    line,
    column,
  });
}

/** Recursive-descent parser over the token list. */
class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private get next(): Token {
    return this.tokens[this.pos]!;
  }

  private peek(offset = 1): Token {
    return this.tokens[Math.min(this.pos + offset, this.tokens.length - 1)]!;
  }

  fail(message: string, token = this.next): never {
    throw parseErrorAt(
      token.line,
      token.column,
      `${message}, found ${token.kind === 'eof' ? 'end of input' : JSON.stringify(token.text)}`,
    );
  }

  private is(text: string): boolean {
    return this.next.text === text && (this.next.kind === 'punct' || this.next.kind === 'ident');
  }

  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected '${text}'`);
    return this.tokens[this.pos++]!;
  }

  private take(kind: TokenKind, what: string): Token {
    if (this.next.kind !== kind) this.fail(`expected ${what}`);
    return this.tokens[this.pos++]!;
  }

  /** Parses a comma-separated list until `close` (consumed). */
  private list<T>(close: string, item: () => T): T[] {
    const items: T[] = [];
    while (!this.is(close)) {
      items.push(item());
      if (!this.is(close)) this.expect(',');
    }
    this.expect(close);
    return items;
  }

  parseGraph(): Graph {
    this.expect('graph');
    this.expect('@');
    const b = new GraphBuilder(this.take('ident', 'a graph name').text);
    const scope = new Map<string, Value>();
    this.expect('(');
    this.parseParams(b, scope, true);
    this.expect('{');
    this.parseNodes(b, scope);
    this.expect('return');
    b.results = this.next.kind === 'value' ? this.valueList(scope) : [];
    while (this.is('update')) {
      this.pos++;
      const target = this.take('value', 'a variable name');
      const param = b.params.find((p) => `%${p.name}` === target.text);
      if (!param || param.kind !== 'var') this.fail(`'${target.text}' is not a var parameter`, target);
      this.expect('<-');
      b.updates.push({ target: param, value: this.valueRef(scope) });
    }
    this.expect('}');
    if (this.next.kind !== 'eof') this.fail('expected end of input after the graph');
    return b.build();
  }

  /** `%name: type [var|const]` items up to and including ')'. */
  private parseParams(b: GraphBuilder, scope: Map<string, Value>, allowKinds: boolean): void {
    // The printer numbers node values %0, %1, ... (%t0, %t1, ... in a fused body): a parameter
    // named like one would print ambiguously.
    const nodeName = allowKinds ? /^%\d+$/ : /^%t\d+$/;
    this.list(')', () => {
      const nameTok = this.take('value', 'a parameter name like %x');
      if (nodeName.test(nameTok.text)) this.fail('a parameter cannot be named like a node value', nameTok);
      this.expect(':');
      const type = this.parseType();
      let kind: ParamKind = 'arg';
      if (allowKinds && (this.is('var') || this.is('const'))) kind = this.tokens[this.pos++]!.text as ParamKind;
      this.define(scope, nameTok, b.addParam(nameTok.text.slice(1), kind, type).value);
    });
  }

  private define(scope: Map<string, Value>, tok: Token, v: Value): void {
    if (scope.has(tok.text)) this.fail(`value ${tok.text} is defined twice`, tok);
    scope.set(tok.text, v);
  }

  private parseType(): TensorType {
    const dt = this.take('ident', 'a dtype (f32, i32, bool)');
    if (!isDType(dt.text)) this.fail('expected a dtype (f32, i32, bool)', dt);
    this.expect('[');
    const shape = this.list(']', () => {
      const t = this.take('number', 'a dimension');
      const d = Number(t.text);
      if (!Number.isInteger(d) || d < 0) this.fail('expected a non-negative integer dimension', t);
      return d;
    });
    return { dtype: dt.text as DType, shape };
  }

  private valueRef(scope: Map<string, Value>): Value {
    const tok = this.take('value', 'a value like %3');
    const v = scope.get(tok.text);
    if (!v) this.fail(`value ${tok.text} is used before it is defined`, tok);
    return v;
  }

  private valueList(scope: Map<string, Value>): Value[] {
    const values = [this.valueRef(scope)];
    while (this.is(',')) {
      this.pos++;
      values.push(this.valueRef(scope));
    }
    return values;
  }

  /** Node lines until a line that starts with a keyword. */
  private parseNodes(b: GraphBuilder, scope: Map<string, Value>): void {
    while (this.next.kind === 'value') {
      const nameTok = this.take('value', 'a value name');
      this.expect(':');
      const type = this.parseType();
      const more: [Token, TensorType][] = [];
      while (this.is(',')) {
        this.pos++;
        const tok = this.take('value', 'a value name');
        this.expect(':');
        more.push([tok, this.parseType()]);
      }
      this.expect('=');
      const opTok = this.take('ident', 'an op name');
      const op = opTok.text;
      if (isRegionOp(op)) {
        this.parseRegionNode(b, scope, op, [[nameTok, type], ...more], opTok);
        continue;
      }
      if (more.length) this.fail(`only control-flow ops define several values`, more[0]![0]);
      if (op !== CONSTANT_OP && !isFusedOp(op) && !isOpName(op)) this.fail('unknown op', opTok);
      if (op === CONSTANT_OP) {
        this.define(scope, nameTok, b.addNode(op, [], { value: this.parseConstant(type) }, type));
        continue;
      }
      const attrs = this.is('[') ? this.parseAttrs() : {};
      const inputs = this.next.kind === 'value' && this.peek().text !== ':' ? this.valueList(scope) : [];
      const body = this.is('{') ? this.parseBody() : null;
      this.define(
        scope,
        nameTok,
        b.addNode(op, inputs, isOpName(op) ? this.checkAttrs(op, attrs, opTok) : attrs, type, null, body),
      );
    }
  }

  /** `cond|while|scan[attrs] inputs { name(params) { nodes yield ... } ... }` */
  private parseRegionNode(
    b: GraphBuilder,
    scope: Map<string, Value>,
    op: keyof typeof REGION_NAMES,
    defined: [Token, TensorType][],
    opTok: Token,
  ): void {
    const attrs = this.is('[') ? this.parseAttrs() : {};
    const schema = REGION_ATTRS[op];
    for (const key of Object.keys(attrs)) if (!(key in schema)) this.fail(`op ${op} has no attribute '${key}'`, opTok);
    for (const [key, kind] of Object.entries(schema)) {
      attrs[key] ??= kind === 'bool' ? false : (undefined as never);
      if (attrs[key] === undefined || !attrFits(kind, attrs[key]))
        this.fail(`op ${op} needs attribute ${key} of kind ${kind}`, opTok);
    }
    const inputs = this.next.kind === 'value' ? this.valueList(scope) : [];
    this.expect('{');
    const regions = REGION_NAMES[op].map((name) => {
      this.expect(name);
      const rb = new GraphBuilder(name);
      const inner = new Map<string, Value>();
      this.expect('(');
      this.parseParams(rb, inner, false);
      this.expect('{');
      this.parseNodes(rb, inner);
      this.expect('yield');
      rb.results = this.next.kind === 'value' ? this.valueList(inner) : [];
      this.expect('}');
      return rb.build();
    });
    this.expect('}');
    const outputs = b.addRegionNode(
      op,
      inputs,
      attrs,
      defined.map(([, t]) => t),
      regions,
    );
    defined.forEach(([tok], i) => this.define(scope, tok, outputs[i]!));
  }

  private parseBody(): Graph {
    this.expect('{');
    const b = new GraphBuilder('body');
    const scope = new Map<string, Value>();
    this.expect('(');
    this.parseParams(b, scope, false);
    this.parseNodes(b, scope);
    this.expect('yield');
    b.results = this.valueList(scope);
    this.expect('}');
    return b.build();
  }

  private parseConstant(type: TensorType): number | number[] {
    const literal = (): number => {
      const t = this.next;
      if (t.kind === 'number' || (t.kind === 'ident' && (t.text === 'true' || t.text === 'false'))) {
        this.pos++;
        return parseNumber(t.text);
      }
      return this.fail('expected a number');
    };
    if (!this.is('[')) return literal();
    this.pos++;
    const values = this.list(']', literal);
    const size = type.shape.reduce((a, d) => a * d, 1);
    if (values.length !== size) this.fail(`constant has ${values.length} values but its type needs ${size}`);
    return values;
  }

  private parseAttrValue(): AttrValue {
    const t = this.next;
    if (this.is('[')) {
      this.pos++;
      return this.list(']', () => this.parseAttrValue());
    }
    this.pos++;
    if (t.kind === 'number') return parseNumber(t.text);
    if (t.kind === 'string') return JSON.parse(t.text) as string;
    if (t.kind === 'ident') return t.text === 'true' ? true : t.text === 'false' ? false : t.text;
    return this.fail('expected an attribute value', t);
  }

  private parseAttrs(): Record<string, AttrValue> {
    this.expect('[');
    const attrs: Record<string, AttrValue> = {};
    this.list(']', () => {
      const key = this.take('ident', 'an attribute name');
      this.expect('=');
      attrs[key.text] = this.parseAttrValue();
    });
    return attrs;
  }

  /** Fills false booleans and checks each attribute against the op's schema. */
  private checkAttrs(op: keyof typeof attrSchema, attrs: Record<string, AttrValue>, at: Token): Attrs {
    const schema = attrSchema[op];
    for (const key of Object.keys(attrs)) if (!(key in schema)) this.fail(`op ${op} has no attribute '${key}'`, at);
    const out: Record<string, AttrValue> = {};
    for (const [key, kind] of Object.entries(schema)) {
      const v = attrs[key] ?? (kind === 'bool' ? false : undefined);
      if (v === undefined || !attrFits(kind, v)) this.fail(`op ${op} needs attribute ${key} of kind ${kind}`, at);
      out[key] = v;
    }
    return out;
  }
}

function attrFits(kind: AttrKind, v: AttrValue): boolean {
  const isInt = (x: AttrValue): boolean => typeof x === 'number' && Number.isInteger(x);
  switch (kind) {
    case 'int':
      return isInt(v);
    case 'ints':
      return Array.isArray(v) && v.every(isInt);
    case 'bool':
      return typeof v === 'boolean';
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'dtype':
      return typeof v === 'string' && isDType(v);
    case 'pairs':
      return Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(isInt));
  }
}

/** Parses IR text (as printed by printGraph) into a graph. */
export function parseGraph(text: string): Graph {
  return new Parser(tokenize(text)).parseGraph();
}
