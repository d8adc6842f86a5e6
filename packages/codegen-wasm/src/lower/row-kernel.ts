/**
 * @file Row kernels: a program of elementwise ops and reductions along rows, run one row at a
 * time. It serves fused.rows (softmax, layernorm), reductions over trailing axes with their
 * fused producers and consumers, and plain reductions. Per row it alternates
 *   - loops over the row's columns (4 lanes at a time plus a tail) that compute the pending
 *     full-row values, feed reductions, and keep values later steps need in a row of scratch;
 *   - per-row scalar steps (reduction results and what is computed from them).
 */
import { isFoldOp, reduceIdentity, type DType, type FoldOp } from '@kiln-jit/core';
import type { Node, Value } from '@kiln-jit/tracer';
import type { ExpressionRef } from '../binaryen.ts';
import type { Vec } from '../function-builder.ts';
import type { KernelBuilder } from './module-context.ts';
import type { LoopRange } from './loop-nest.ts';
import { evaluateNodes } from './dag.ts';
import { elementBytes, loadSplat, loadVector, storeOne, storeVector } from './lanes.ts';
import { combineScalar, combineVector, lane, scalarConst, scalarType, splatScalar } from './reduce-ops.ts';

/** Thrown when a program's operands cannot be walked as [rows, cols]; the caller unfuses. */
export class RowLayoutError extends Error {}

export interface RowParam {
  base: Vec;
  dtype: DType;
  /** Element offset r·sR + j·sC when read along the row; null if it cannot be read that way. */
  full: { sR: number; sC: number } | null;
  /** Element offset r·sR when read once per row; null if it cannot be. */
  scalar: { sR: number } | null;
}

export interface RowProgram {
  rows: number;
  cols: number;
  /** Elementwise nodes, scalar constants and fold reductions along the row, in order. */
  nodes: readonly Node[];
  /** Whether a value varies along the row (otherwise it is one value per row). */
  isFull(v: Value): boolean;
  params: ReadonlyMap<Value, RowParam>;
  root: Value;
  out: Vec;
  /** Scratch for kept full-row values: rowScratchBytes(program) bytes. */
  scratch: Vec;
  /** The rows [lo, hi) this thread runs (default: all). */
  range?: LoopRange;
}

type Step = { kind: 'loop'; nodes: Node[]; reductions: Node[] } | { kind: 'scalar'; node: Node };

const isReduction = (n: Node): boolean => isFoldOp(n.op);

/** Splits the program into column loops and per-row scalar steps. */
function planSteps(p: RowProgram): Step[] {
  const steps: Step[] = [];
  let pending: Node[] = [];
  for (const node of p.nodes) {
    if (isReduction(node)) {
      steps.push({ kind: 'loop', nodes: pending, reductions: [node] });
      pending = [];
    } else if (p.isFull(node.output)) {
      pending.push(node);
    } else {
      steps.push({ kind: 'scalar', node });
    }
  }
  if (pending.length) steps.push({ kind: 'loop', nodes: pending, reductions: [] });
  return steps;
}

/** Full-row values computed in one loop and read in a later step: they get a scratch row each. */
function keptValues(p: RowProgram, steps: Step[]): Value[] {
  const kept: Value[] = [];
  steps.forEach((step, s) => {
    if (step.kind !== 'loop') return;
    for (const node of step.nodes) {
      if (node.output === p.root) continue;
      const usedLater = steps
        .slice(s + 1)
        .some((later) =>
          later.kind === 'loop'
            ? [...later.nodes, ...later.reductions].some((n) => n.inputs.includes(node.output))
            : later.node.inputs.includes(node.output),
        );
      if (usedLater) kept.push(node.output);
    }
  });
  return kept;
}

export function rowScratchBytes(p: RowProgram): number {
  return keptValues(p, planSteps(p)).length * p.cols * 4;
}

interface RowState {
  r: Vec;
  /** Per-row scalar values (as splat vectors). */
  scalars: Map<Value, Vec>;
  kept: Map<Value, number>;
}

/** Byte address of element (r, j) of a strided operand. */
function elementAddress(
  b: KernelBuilder,
  base: Vec,
  bytes: number,
  sR: number,
  r: Vec,
  sC: number,
  j: ExpressionRef | null,
  jOffset = 0,
): ExpressionRef {
  let addr = base();
  if (sR !== 0) addr = b.mod.i32.add(addr, b.mod.i32.mul(r(), b.i32(sR * bytes)));
  if (sC !== 0 && j !== null) addr = b.mod.i32.add(addr, b.mod.i32.mul(j, b.i32(sC * bytes)));
  // A constant offset last, where the engine folds it into the load's or store's address.
  if (sC !== 0 && j !== null && jOffset !== 0) addr = b.mod.i32.add(addr, b.i32(jOffset * sC * bytes));
  return addr;
}

/**
 * Column loops are unrolled this many times (4 lanes each), with as many vector accumulators per
 * reduction: one accumulator would make each iteration wait for the previous one's add (or max,
 * reduce-ops.ts), and unrolled, loop control costs less per element.
 */
const ACCUMULATORS = 4;

function fullParam(p: RowProgram, v: Value): { param: RowParam; sR: number; sC: number } {
  const param = p.params.get(v)!;
  if (!param.full) throw new RowLayoutError(`operand #${v.id} cannot be read along the row`);
  return { param, ...param.full };
}

// 1/s is normal for |s| in [2^-126, 2^126], and then x * (1/s) is within an ulp of x / s.
const RECIPROCAL_MIN = 2 ** -126,
  RECIPROCAL_MAX = 2 ** 126;

/**
 * The f32 divisions of a loop by per-row values, as multiplications by reciprocals computed once
 * per row (a division costs several multiplications' throughput). `safe` tells at run time whether
 * every divisor's reciprocal is normal; otherwise the loop divides. null: nothing to rewrite.
 */
function reciprocalDivisions(
  b: KernelBuilder,
  step: Extract<Step, { kind: 'loop' }>,
  st: RowState,
): { stmts: ExpressionRef[]; nodes: Node[]; values: Map<Value, Vec>; safe: ExpressionRef | null } {
  const { f32, f32x4, i32 } = b.mod;
  const stmts: ExpressionRef[] = [];
  const values = new Map<Value, Vec>();
  const byDivisor = new Map<Value, Value>();
  let safe: ExpressionRef | null = null;
  const nodes = step.nodes.map((n) => {
    const divisor = n.inputs[1];
    if (n.op !== 'div' || n.output.type.dtype !== 'f32' || !divisor || !st.scalars.has(divisor)) return n;
    let key = byDivisor.get(divisor);
    if (!key) {
      const s = st.scalars.get(divisor)!;
      key = { id: -1 - byDivisor.size, type: divisor.type };
      const [set, get] = b.keep(f32x4.div(b.f32x4(1), s()));
      stmts.push(set);
      values.set(key, get);
      byDivisor.set(divisor, key);
      const abs = (): ExpressionRef => f32.abs(f32x4.extract_lane(s(), 0));
      const inRange = i32.and(f32.ge(abs(), f32.const(RECIPROCAL_MIN)), f32.le(abs(), f32.const(RECIPROCAL_MAX)));
      safe = safe === null ? inRange : i32.and(safe, inRange);
    }
    return { ...n, op: 'mul', inputs: [n.inputs[0]!, key] };
  });
  return { stmts, nodes, values, safe };
}

/** One column loop: computes its nodes, feeds its reductions, stores kept values and the root. */
function emitLoop(
  b: KernelBuilder,
  p: RowProgram,
  step: Extract<Step, { kind: 'loop' }>,
  st: RowState,
): ExpressionRef[] {
  const i32 = b.binaryen.i32;
  const stmts: ExpressionRef[] = [];
  const computed = new Set(step.nodes.map((n) => n.output));
  const leaves = new Set<Value>();
  for (const n of [...step.nodes, ...step.reductions])
    for (const v of n.inputs) if (!computed.has(v) && !st.scalars.has(v)) leaves.add(v);
  const paramLeaves = [...leaves].filter((v) => !st.kept.has(v));
  const vectorizable = paramLeaves.every((v) => [0, 1].includes(fullParam(p, v).sC));
  // Values constant along the row are loaded once.
  const hoisted = new Map<Value, Vec>();
  for (const v of paramLeaves) {
    const { param, sR, sC } = fullParam(p, v);
    if (sC !== 0) continue;
    const [set, get] = b.keep(
      loadSplat(b, param.dtype, elementAddress(b, param.base, elementBytes(param.dtype), sR, st.r, 0, null)),
    );
    stmts.push(set);
    hoisted.set(v, get);
  }
  // Where each operand's row (and the output's) starts, computed once per row: the column loops
  // then only add j to it.
  const rowStarts = new Map<Value | 'out', Vec>();
  const rowStart = (key: Value | 'out', base: Vec, bytes: number, sR: number): void => {
    const [set, get] = b.keep(elementAddress(b, base, bytes, sR, st.r, 0, null), i32);
    stmts.push(set);
    rowStarts.set(key, get);
  };
  for (const v of paramLeaves) {
    const { param, sR, sC } = fullParam(p, v);
    if (sC !== 0 && sR !== 0) rowStart(v, param.base, elementBytes(param.dtype), sR);
  }
  if (step.nodes.some((n) => n.output === p.root)) rowStart('out', p.out, elementBytes(p.root.type.dtype), p.cols);
  const vectorEnd = vectorizable ? p.cols - (p.cols % 4) : 0;
  const ways = vectorEnd >= 4 * ACCUMULATORS ? ACCUMULATORS : 1;
  const unrolledEnd = vectorEnd - (vectorEnd % (4 * ways));
  const accs = step.reductions.map((red) => {
    const dtype = red.output.type.dtype;
    const id = reduceIdentity(red.op as FoldOp, dtype);
    const vecs = Array.from({ length: ways }, () => b.local(b.binaryen.v128));
    const tail = b.local(scalarType(b, dtype));
    for (const vec of vecs) stmts.push(vec.set(splatScalar(b, dtype, scalarConst(b, dtype, id))));
    stmts.push(tail.set(scalarConst(b, dtype, id)));
    return { red, dtype, vecs, tail };
  });
  const reciprocals = reciprocalDivisions(b, step, st);
  stmts.push(...reciprocals.stmts);
  const j = b.local(i32);
  /**
   * The loop body for columns j + part*4 onwards, feeding accumulator `part`; with `reciprocal`,
   * divisions by per-row values multiply by their reciprocals instead.
   */
  const body = (lanes: 1 | 4, part: number, reciprocal: boolean): ExpressionRef[] => {
    const at = part * 4;
    const out: ExpressionRef[] = [];
    const values = new Map<Value, Vec>(st.scalars);
    if (reciprocal) for (const [key, get] of reciprocals.values) values.set(key, get);
    for (const v of leaves) {
      if (st.scalars.has(v)) continue;
      if (hoisted.has(v)) {
        values.set(v, hoisted.get(v)!);
        continue;
      }
      const keptRow = st.kept.get(v);
      const [base, dtype, sR, sC] =
        keptRow !== undefined
          ? [() => b.addr(p.scratch(), keptRow * p.cols * 4), v.type.dtype, 0, 1]
          : (() => {
              const f = fullParam(p, v);
              const start = rowStarts.get(v);
              return start
                ? ([start, f.param.dtype, 0, f.sC] as const)
                : ([f.param.base, f.param.dtype, f.sR, f.sC] as const);
            })();
      const ptr = elementAddress(b, base, keptRow !== undefined ? 4 : elementBytes(dtype), sR, st.r, sC, j.get(), at);
      const [set, get] = b.keep(
        lanes === 4
          ? loadVector(b, keptRow !== undefined && dtype === 'bool' ? 'i32' : dtype, ptr)
          : loadSplat(b, keptRow !== undefined && dtype === 'bool' ? 'i32' : dtype, ptr),
      );
      out.push(set);
      values.set(v, get);
    }
    out.push(...evaluateNodes(b, reciprocal ? reciprocals.nodes : step.nodes, values));
    for (const acc of accs) {
      const x = values.get(acc.red.inputs[0]!)!;
      const op = acc.red.op as FoldOp;
      out.push(
        lanes === 4
          ? acc.vecs[part]!.set(combineVector(b, op, acc.dtype, acc.vecs[part]!.get(), x))
          : acc.tail.set(
              combineScalar(
                b,
                op,
                acc.dtype,
                () => acc.tail.get(),
                () => lane(b, acc.dtype, x()),
              ),
            ),
      );
    }
    for (const node of step.nodes) {
      const keptRow = st.kept.get(node.output);
      const v = values.get(node.output)!;
      const store = lanes === 4 ? storeVector : storeOne;
      if (keptRow !== undefined) {
        // Kept rows hold bools as i32 masks, so they load back without widening.
        const dtype = node.output.type.dtype === 'bool' ? 'i32' : node.output.type.dtype;
        out.push(
          store(
            b,
            dtype,
            elementAddress(b, () => b.addr(p.scratch(), keptRow * p.cols * 4), 4, 0, st.r, 1, j.get(), at),
            v(),
          ),
        );
      }
      if (node.output === p.root) {
        const dtype = node.output.type.dtype;
        out.push(
          store(b, dtype, elementAddress(b, rowStarts.get('out')!, elementBytes(dtype), 0, st.r, 1, j.get(), at), v()),
        );
      }
    }
    return out;
  };
  const loops = (reciprocal: boolean): ExpressionRef[] => {
    const out: ExpressionRef[] = [];
    if (unrolledEnd > 0 && ways > 1) {
      const parts = Array.from({ length: ways }, (_, part) => body(4, part, reciprocal)).flat();
      out.push(b.loop(j, b.i32(0), b.i32(unrolledEnd), 4 * ways, parts));
    }
    const vectorStart = ways > 1 ? unrolledEnd : 0;
    if (vectorEnd > vectorStart) out.push(b.loop(j, b.i32(vectorStart), b.i32(vectorEnd), 4, body(4, 0, reciprocal)));
    if (vectorEnd < p.cols) out.push(b.loop(j, b.i32(vectorEnd), b.i32(p.cols), 1, body(1, 0, reciprocal)));
    return out;
  };
  if (reciprocals.safe === null) stmts.push(...loops(false));
  else stmts.push(b.mod.if(reciprocals.safe, b.mod.block(null, loops(true)), b.mod.block(null, loops(false))));
  for (const acc of accs) {
    const t = scalarType(b, acc.dtype);
    const op = acc.red.op as FoldOp;
    // The accumulators pairwise, (v0 ∘ v1) ∘ (v2 ∘ v3), into vecs[0].
    for (let width = 1; width < acc.vecs.length; width *= 2)
      for (let k = 0; k + width < acc.vecs.length; k += 2 * width)
        stmts.push(
          acc.vecs[k]!.set(combineVector(b, op, acc.dtype, acc.vecs[k]!.get(), () => acc.vecs[k + width]!.get())),
        );
    const vec = acc.vecs[0]!;
    const lanesOf = (i: number) => () => lane(b, acc.dtype, vec.get(), i);
    // ((l0 ∘ l1) ∘ (l2 ∘ l3)) ∘ tail
    const [s1, g1] = b.keep(combineScalar(b, op, acc.dtype, lanesOf(0), lanesOf(1)), t);
    const [s2, g2] = b.keep(combineScalar(b, op, acc.dtype, lanesOf(2), lanesOf(3)), t);
    const [s3, g3] = b.keep(combineScalar(b, op, acc.dtype, g1, g2), t);
    const [s4, g4] = b.keep(
      combineScalar(b, op, acc.dtype, g3, () => acc.tail.get()),
      t,
    );
    const [s5, g5] = b.keep(splatScalar(b, acc.dtype, g4()));
    stmts.push(s1, s2, s3, s4, s5);
    st.scalars.set(acc.red.output, g5);
  }
  return stmts;
}

/** A per-row scalar step: loads its per-row operands, computes the node as a splat vector. */
function emitScalar(b: KernelBuilder, p: RowProgram, node: Node, st: RowState): ExpressionRef[] {
  const stmts: ExpressionRef[] = [];
  for (const v of node.inputs) {
    if (st.scalars.has(v)) continue;
    const param = p.params.get(v);
    if (!param?.scalar) throw new RowLayoutError(`operand #${v.id} cannot be read once per row`);
    const ptr = elementAddress(b, param.base, elementBytes(param.dtype), param.scalar.sR, st.r, 0, null);
    const [set, get] = b.keep(loadSplat(b, param.dtype, ptr));
    stmts.push(set);
    st.scalars.set(v, get);
  }
  stmts.push(...evaluateNodes(b, [node], st.scalars));
  return stmts;
}

/** Emits the whole row program (a loop over rows). */
export function emitRowProgram(b: KernelBuilder, p: RowProgram): ExpressionRef[] {
  if (p.rows === 0) return [];
  const steps = planSteps(p);
  const keptList = keptValues(p, steps);
  const i32 = b.binaryen.i32;
  const r = b.local(i32);
  const st: RowState = { r: () => r.get(), scalars: new Map(), kept: new Map(keptList.map((v, i) => [v, i])) };
  const rowBody: ExpressionRef[] = [];
  for (const step of steps)
    rowBody.push(...(step.kind === 'loop' ? emitLoop(b, p, step, st) : emitScalar(b, p, step.node, st)));
  if (!p.isFull(p.root)) {
    const dtype = p.root.type.dtype;
    const value =
      st.scalars.get(p.root) ??
      (() => {
        throw new RowLayoutError('the root is neither computed per row nor along it');
      })();
    rowBody.push(storeOne(b, dtype, elementAddress(b, p.out, elementBytes(dtype), 1, st.r, 0, null), value()));
  }
  return [b.loop(r, p.range?.lo() ?? b.i32(0), p.range?.hi() ?? b.i32(p.rows), 1, rowBody)];
}
