/**
 * @file The IR verifier: every value defined once and before use, every node's type equal to
 * what its op's shape rule gives, results and updates well formed. Tests run it after every pass.
 */
import { inferType, isOpName, KilnError, shapesEqual, sizeOf, type OpName, type TensorType } from '@kiln-jit/core';
import { CONSTANT_OP, nodeOutputs, type Graph, type Node, type Value } from './graph.ts';
import { checkRegionNode, isRegionOp } from './regions.ts';
import { formatType } from './format-values.ts';
import { attrSchema } from './attr-schema.ts';

/** A graph that breaks an IR invariant (a bug in a pass or in hand-written IR). */
export class KilnVerifyError extends KilnError {}

function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && shapesEqual(a.shape, b.shape);
}

/** Checks one node's inputs and type; returns a problem description or null. */
function checkNode(node: Node, defined: Set<Value>): string | null {
  for (const v of node.inputs) if (!defined.has(v)) return 'uses a value that is not defined before it';
  if (node.op === CONSTANT_OP) {
    const value = node.attrs.value;
    const count = Array.isArray(value) ? value.length : 1;
    return count === sizeOf(node.output.type.shape)
      ? null
      : `constant holds ${count} values for type ${formatType(node.output.type)}`;
  }
  if (node.body) {
    const body = node.body;
    if (body.params.length !== node.inputs.length)
      return `fused body takes ${body.params.length} inputs but the node passes ${node.inputs.length}`;
    const mismatch = body.params.findIndex((p, i) => !sameType(p.value.type, node.inputs[i]!.type));
    if (mismatch >= 0)
      return `fused body input ${mismatch} is ${formatType(body.params[mismatch]!.value.type)} but receives ${formatType(node.inputs[mismatch]!.type)}`;
    verifyGraph(body);
    if (body.results.length !== 1 || !sameType(body.results[0]!.type, node.output.type))
      return "fused body must yield one value of the node's type";
    return null;
  }
  if (isRegionOp(node.op)) return checkRegionNode(node, verifyGraph);
  if (node.regions || node.outputs) return 'has regions or several outputs but is not a control-flow op';
  if (!isOpName(node.op)) return `unknown op ${node.op}`;
  const schema = attrSchema[node.op];
  const extra = Object.keys(node.attrs).find((k) => !(k in schema));
  if (extra) return `has unknown attribute ${extra}`;
  let expected: TensorType;
  try {
    expected = inferType(
      node.op as OpName,
      node.inputs.map((v) => v.type),
      node.attrs as never,
    );
  } catch (e) {
    return `fails its shape rule: ${e instanceof KilnError ? e.detail : String(e)}`;
  }
  return sameType(expected, node.output.type)
    ? null
    : `has type ${formatType(node.output.type)} but its op gives ${formatType(expected)}`;
}

/** Throws KilnVerifyError describing the first broken invariant of `graph`. */
export function verifyGraph(graph: Graph): void {
  const fail = (msg: string): never => {
    throw new KilnVerifyError(`IR verifier: graph @${graph.name}: ${msg}`, null);
  };
  const defined = new Set<Value>();
  const define = (v: Value, what: string): void => {
    if (defined.has(v)) fail(`${what} defines a value that is already defined`);
    defined.add(v);
  };
  const names = new Set<string>();
  for (const p of graph.params) {
    if (names.has(p.name)) fail(`parameter %${p.name} appears twice`);
    names.add(p.name);
    define(p.value, `parameter %${p.name}`);
  }
  graph.nodes.forEach((node, i) => {
    const problem = checkNode(node, defined);
    if (problem) fail(`node ${i} (${node.op}) ${problem}`);
    if (node.output !== nodeOutputs(node)[0]) fail(`node ${i} (${node.op}) output is not its first output`);
    for (const v of nodeOutputs(node)) define(v, `node ${i} (${node.op})`);
  });
  graph.results.forEach((v, i) => defined.has(v) || fail(`result ${i} is not defined`));
  const updated = new Set<string>();
  for (const u of graph.updates) {
    if (!graph.params.includes(u.target) || u.target.kind !== 'var')
      fail(`update target %${u.target.name} is not a var parameter`);
    if (updated.has(u.target.name)) fail(`variable %${u.target.name} is updated twice`);
    updated.add(u.target.name);
    if (!defined.has(u.value)) fail(`update of %${u.target.name} uses an undefined value`);
    if (!sameType(u.value.type, u.target.value.type)) {
      fail(`update of %${u.target.name} (${formatType(u.target.value.type)}) has type ${formatType(u.value.type)}`);
    }
  }
}
