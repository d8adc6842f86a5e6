/**
 * @file How a trace records cond, whileLoop and scan: each region function is traced into a
 * sub-graph by a child trace (whose reads of outer tensors become capture params, and whose
 * variable assignments become extra region results), and one node owning the regions is added
 * to the enclosing graph. Variables a loop body assigns become loop state, so a loop that
 * updates a variable traces its body twice: once to find the variables, once with them carried.
 */
import {
  callerLocation,
  checkPredicate,
  checkSameTypes,
  reshape,
  withInterpreter,
  type ControlResult,
  type ControlSpec,
  type CondSpec,
  type RegionFn,
  type ScanSpec,
  type Tensor,
  type TensorType,
  type Variable,
  type WhileSpec,
} from '@kiln-jit/core';
import type { Graph, Value } from '../ir/graph.ts';
import type { RegionOp } from '../ir/regions.ts';
import type { TraceInterpreter } from '../tracing.ts';

/** A region traced but not yet closed: more results (variables) and captures may still be added. */
class OpenRegion {
  readonly trace: TraceInterpreter;
  readonly results: Tensor[];
  private readonly explicit: number;
  private values: Value[] = [];

  /** Traces `fn` on params of `types`; the last `carried.length` params are those variables' values. */
  constructor(
    parent: TraceInterpreter,
    name: string,
    types: readonly TensorType[],
    carried: readonly Variable[],
    fn: RegionFn,
  ) {
    this.trace = parent.child(name);
    this.explicit = types.length;
    const args = types.map((t, i) => this.trace.addArgument(`s${i}`, t));
    const first = types.length - carried.length;
    carried.forEach((v, i) => this.trace.setCurrent(v, args[first + i]!));
    this.results = withInterpreter(this.trace, () => fn(args.slice(0, first)));
  }

  /** The current value of each variable in this region (the outer one if it never assigned it). */
  variableValues(vars: readonly Variable[]): Tensor[] {
    return vars.map((v) => this.trace.readVariable(v));
  }

  /** Runs `fn` with this region's trace on the stack (to add ops to it). */
  within<T>(fn: () => T): T {
    return withInterpreter(this.trace, fn);
  }

  /** Fixes the region's results (which may capture more outer tensors: do it before `close`). */
  yield(results: readonly Tensor[]): void {
    this.values = results.map((t) => this.trace.valueOf(t));
  }

  /** Ends the region: its params are the explicit ones, then one per tensor of `captures`. */
  close(captures: readonly Tensor[]): Graph {
    const explicit = this.trace.builder.params.slice(0, this.explicit);
    // Capture params are renamed in the node's input order, so every region reads alike.
    const params = [...explicit, ...captures.map((t, i) => ({ ...this.trace.captureParam(t), name: `c${i}` }))];
    this.trace.builder.results = this.values;
    this.trace.live = false;
    return { ...this.trace.builder.build(), params };
  }
}

/** Outer tensors captured by any of `regions`, each once, in first-seen order. */
function unionCaptures(regions: readonly OpenRegion[]): Tensor[] {
  return [...new Set(regions.flatMap((r) => r.trace.captures))];
}

const typesOf = (ts: readonly Tensor[]): TensorType[] => ts.map((t) => ({ shape: t.shape, dtype: t.dtype }));

/** A bool scalar of shape [] (the IR's predicate type), reshaped inside `at`'s context. */
function predicate(api: string, what: string, t: Tensor, at: (fn: () => Tensor) => Tensor): Tensor {
  checkPredicate(api, what, t);
  return t.rank === 0 ? t : at(() => reshape(t, []));
}

function addNode(
  tr: TraceInterpreter,
  op: RegionOp,
  inputs: readonly Tensor[],
  attrs: Record<string, number | boolean>,
  types: readonly TensorType[],
  regions: readonly Graph[],
): Tensor[] {
  const values = inputs.map((t) => tr.valueOf(t));
  return tr.builder.addRegionNode(op, values, attrs, types, regions, callerLocation()).map((v) => tr.symbolic(v));
}

function traceCond(tr: TraceInterpreter, spec: CondSpec): ControlResult {
  const pred = predicate('cond', 'predicate', spec.pred, (fn) => fn());
  const branches = spec.branches.map((fn, i) => new OpenRegion(tr, i ? 'else' : 'then', [], [], fn));
  const [then, other] = branches as [OpenRegion, OpenRegion];
  checkSameTypes('cond', 'result', typesOf(then.results), typesOf(other.results), [
    'the true branch',
    'the false branch',
  ]);
  const vars = [...new Set(branches.flatMap((b) => b.trace.assigned))];
  const results = branches.map((b) => [...b.results, ...b.variableValues(vars)]);
  branches.forEach((b, i) => b.yield(results[i]!));
  const captures = unionCaptures(branches);
  const regions = branches.map((b) => b.close(captures));
  if (results[0]!.length === 0) return { outputs: [], captures }; // nothing to compute
  const outputs = addNode(tr, 'cond', [pred, ...captures], {}, typesOf(results[0]!), regions);
  vars.forEach((v, i) => tr.assignVariable(v, outputs[then.results.length + i]!));
  return { outputs: outputs.slice(0, then.results.length), captures };
}

/** Traces a loop's regions with `vars` carried; retraces once if the body assigns others. */
function traceLoop<T>(
  tr: TraceInterpreter,
  trace: (vars: readonly Variable[]) => { regions: OpenRegion[]; body: OpenRegion; result: T },
): { vars: readonly Variable[]; regions: OpenRegion[]; result: T } {
  let vars: readonly Variable[] = [];
  for (;;) {
    const traced = trace(vars);
    const assigned = traced.regions.flatMap((r) => r.trace.assigned).filter((v) => !vars.includes(v));
    if (assigned.length === 0) return { vars, regions: traced.regions, result: traced.result };
    for (const r of traced.regions) r.trace.live = false;
    vars = [...vars, ...new Set(assigned)];
  }
}

function traceWhile(tr: TraceInterpreter, spec: WhileSpec): ControlResult {
  const k = spec.init.length;
  const { vars, regions } = traceLoop(tr, (carried) => {
    const types = [...typesOf(spec.init), ...typesOf(carried.map((v) => tr.readVariable(v)))];
    const test = new OpenRegion(tr, 'cond', types, carried, spec.cond);
    const body = new OpenRegion(tr, 'body', types, carried, spec.body);
    return { regions: [test, body], body, result: null };
  });
  const [test, body] = regions as [OpenRegion, OpenRegion];
  checkSameTypes('whileLoop', 'state', typesOf(spec.init), typesOf(body.results), ['the initial state', 'the body']);
  const cond = predicate('whileLoop', 'condition result', test.results[0]!, (fn) => test.within(fn));
  test.yield([cond]);
  body.yield([...body.results, ...body.variableValues(vars)]);
  const captures = unionCaptures(regions);
  const graphs = [test.close(captures), body.close(captures)];
  const init = [...spec.init, ...vars.map((v) => tr.readVariable(v))];
  const outputs = addNode(tr, 'while', [...init, ...captures], { carried: init.length }, typesOf(init), graphs);
  vars.forEach((v, i) => tr.assignVariable(v, outputs[k + i]!));
  return { outputs: outputs.slice(0, k), captures };
}

function traceScan(tr: TraceInterpreter, spec: ScanSpec): ControlResult {
  const k = spec.carried;
  const slices = spec.xs.map((x) => ({ dtype: x.dtype, shape: x.shape.slice(1) }));
  const { vars, regions } = traceLoop(tr, (carried) => {
    const types = [...typesOf(spec.init), ...slices, ...typesOf(carried.map((v) => tr.readVariable(v)))];
    // The region's params are [carry, vars, x]; the traced function sees [carry, x] with vars set.
    const body = new OpenRegion(tr, 'body', types, carried, spec.body);
    return { regions: [body], body, result: null };
  });
  const body = regions[0]!;
  const carry = body.results.slice(0, k);
  checkSameTypes('scan', 'carry', typesOf(spec.init), typesOf(carry), ['the initial carry', 'the step function']);
  body.yield([...carry, ...body.variableValues(vars), ...body.results.slice(k)]);
  const captures = unionCaptures(regions);
  const graph = body.close(captures);
  const reordered = reorderScanParams(graph, k, spec.xs.length, vars.length);
  const init = [...spec.init, ...vars.map((v) => tr.readVariable(v))];
  const ys = body.results.slice(k).map((y) => ({ dtype: y.dtype, shape: [spec.length, ...y.shape] }));
  const outputs = addNode(
    tr,
    'scan',
    [...init, ...spec.xs, ...captures],
    { carried: init.length, sliced: spec.xs.length, length: spec.length, reverse: spec.reverse },
    [...typesOf(init), ...ys],
    [reordered],
  );
  vars.forEach((v, i) => tr.assignVariable(v, outputs[k + i]!));
  return { outputs: [...outputs.slice(0, k), ...outputs.slice(k + vars.length)], captures };
}

/** The body was traced with params [carry, x, vars]; the IR wants [carry, vars, x]. */
function reorderScanParams(graph: Graph, k: number, m: number, nv: number): Graph {
  const p = graph.params;
  return {
    ...graph,
    params: [...p.slice(0, k), ...p.slice(k + m, k + m + nv), ...p.slice(k, k + m), ...p.slice(k + m + nv)],
  };
}

/** Records `spec` into the trace `tr` as one node with regions. */
export function traceControl(tr: TraceInterpreter, spec: ControlSpec): ControlResult {
  switch (spec.kind) {
    case 'cond':
      return traceCond(tr, spec);
    case 'while':
      return traceWhile(tr, spec);
    case 'scan':
      return traceScan(tr, spec);
  }
}
