/**
 * @file Lowering of reductions and row-wise fusions to row kernels. A reduction over trailing
 * axes reads its input in place; over other axes, its producers are first evaluated into scratch
 * in an order that puts the reduced axes last (a strided map), and the row kernel runs on that.
 */
import { CONSTANT_OP, GraphBuilder, type Node, type Value } from '@kiln-jit/tracer';
import { isFoldOp, rowShape, sizeOf } from '@kiln-jit/core';
import type { ExpressionRef } from '../binaryen.ts';
import { FunctionBuilder, type Vec } from '../function-builder.ts';
import type { KernelBuilder } from './module-context.ts';
import type { ModuleContext } from './module-context.ts';
import { emitRowProgram, rowScratchBytes, type RowParam, type RowProgram } from './row-kernel.ts';
import { fullTester, largestShape, rowParam } from './row-programs.ts';
import { broadcastStridesTo, contiguousStrides, emitStridedMap } from './strided-map.ts';
import { evaluateNodes } from './dag.ts';
import { elementBytes } from './lanes.ts';
import { UnsupportedLowering, type Kernel } from './kernel-types.ts';

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Params of a fused body (or a plain node's inputs) mapped to kernel params 1..n. */
function paramValues(node: Node): Value[] {
  return node.body ? node.body.params.map((p) => p.value) : [...node.inputs];
}

/** Nodes of the program: a fused body's nodes, or the plain node itself. */
function programNodes(node: Node): readonly Node[] {
  return node.body ? node.body.nodes : [node];
}

function programRoot(node: Node): Value {
  return node.body ? node.body.results[0]! : node.output;
}

function finishRowKernel(
  ctx: ModuleContext,
  name: string,
  paramCount: number,
  build: (b: KernelBuilder) => { stmts: ExpressionRef[]; scratch: number },
): Kernel {
  const b = new FunctionBuilder(ctx, paramCount);
  const { stmts, scratch } = build(b);
  b.finish(name, stmts);
  return { name, scratchBytes: scratch };
}

/** fused.rows: full values have the body's largest shape, split before its last axis. */
export function lowerRows(ctx: ModuleContext, node: Node): Kernel {
  const nodes = programNodes(node);
  const full = largestShape(nodes);
  const split = full.length - 1;
  return lowerRowProgram(ctx, node, nodes, full, split, rowShape(full));
}

/** Builds and emits a row program over `nodes` with the given full shape and split. */
function lowerRowProgram(
  ctx: ModuleContext,
  node: Node,
  nodes: readonly Node[],
  full: readonly number[],
  split: number,
  perRow: readonly number[],
): Kernel {
  const name = ctx.uniqueName(node.op.replace('.', '_'));
  const params = paramValues(node);
  const rows = sizeOf(full.slice(0, split));
  const cols = sizeOf(full.slice(split));
  // Threads share a row program by rows (lo, hi follow scratch).
  const splitRows = rows > 1 && ctx.splits(rows * cols * nodes.length);
  const kernel = finishRowKernel(ctx, name, params.length + (splitRows ? 4 : 2), (b) => {
    const program: RowProgram = {
      rows,
      cols,
      nodes,
      isFull: fullTester(full, perRow, nodes),
      params: new Map(
        params.map((v, i) => [v, rowParam(() => b.param(i + 1), v.type.dtype, v.type.shape, full, split, perRow)]),
      ),
      root: programRoot(node),
      out: () => b.param(0),
      scratch: () => b.param(params.length + 1),
      ...(splitRows ? { range: { lo: () => b.param(params.length + 2), hi: () => b.param(params.length + 3) } } : {}),
    };
    return { stmts: emitRowProgram(b, program), scratch: rowScratchBytes(program) };
  });
  return splitRows ? { ...kernel, split: { extent: rows } } : kernel;
}

function reduceOf(nodes: readonly Node[]): Node {
  const reductions = nodes.filter((n) => isFoldOp(n.op));
  if (reductions.length !== 1) throw new Error(`codegen-wasm: expected one reduction, found ${reductions.length}`);
  return reductions[0]!;
}

/** A plain reduction or fused.reduce. */
export function lowerReduce(ctx: ModuleContext, node: Node): Kernel {
  const nodes = programNodes(node);
  const red = reduceOf(nodes);
  const input = red.inputs[0]!.type.shape;
  const axes = red.attrs.axes as number[];
  const trailing = axes.every((a, i) => a === input.length - axes.length + i);
  if (trailing) return lowerRowProgram(ctx, node, nodes, input, input.length - axes.length, red.output.type.shape);
  return lowerPermutedReduce(ctx, node, nodes, red);
}

/**
 * A reduction over non-trailing axes: evaluate the reduction's input (with its producers) into
 * scratch with the reduced axes last, then reduce the scratch rows.
 */
function lowerPermutedReduce(ctx: ModuleContext, node: Node, nodes: readonly Node[], red: Node): Kernel {
  const inputShape = red.inputs[0]!.type.shape;
  const axes = red.attrs.axes as number[];
  const kept = inputShape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const permuted = perm.map((a) => inputShape[a]!);
  // The staging map computes everything the reduction's input depends on, elementwise over the
  // input's shape; per-output values it needs must broadcast into that shape (keepDims).
  const prologue = dependencies(nodes, red.inputs[0]!);
  const fitsInput = (shape: readonly number[]): boolean =>
    shape.length <= inputShape.length &&
    shape.every((d, i) => d === 1 || d === inputShape[inputShape.length - shape.length + i]);
  const usedParams = new Set(prologue.flatMap((n) => n.inputs));
  if (
    !prologue.every((n) => fitsInput(n.output.type.shape)) ||
    !paramValues(node).every((v) => (!usedParams.has(v) && v !== red.inputs[0]) || fitsInput(v.type.shape))
  ) {
    throw new UnsupportedLowering('a reduction producer does not broadcast into the input shape');
  }
  const rest = nodes.filter((n) => !prologue.includes(n) || n.op === CONSTANT_OP);
  const params = paramValues(node);
  const dtype = red.inputs[0]!.type.dtype;
  const stagedBytes = align16(sizeOf(permuted) * 4);
  // The row program sees the staged input as a fresh value and the reduction reading it.
  const staged = new GraphBuilder('staged').newValue({ shape: permuted, dtype });
  const rowRed: Node = {
    ...red,
    inputs: [staged],
    attrs: { axes: axes.map((_, i) => kept.length + i), keepDims: red.attrs.keepDims as boolean },
  };
  const rowNodes = rest.map((n) => (n === red ? rowRed : n));
  const name = ctx.uniqueName(`${node.op.replace('.', '_')}_permuted`);
  return finishRowKernel(ctx, name, params.length + 2, (b) => {
    const scratch = (): ExpressionRef => b.param(params.length + 1);
    const stage = emitStridedMap(b, {
      shape: permuted,
      output: { base: scratch, dtype: dtype === 'bool' ? 'i32' : dtype, strides: contiguousStrides(permuted) },
      inputs: params.map((v, i) => ({
        base: () => b.param(i + 1),
        dtype: v.type.dtype,
        strides: permuteStrides(v.type.shape, inputShape, perm),
      })),
      compute: (ins, stmts) => {
        const values = new Map<Value, Vec>(params.map((v, i) => [v, ins[i]!]));
        stmts.push(...evaluateNodes(b, prologue, values));
        return values.get(red.inputs[0]!)!();
      },
    });
    const split = kept.length;
    const program: RowProgram = {
      rows: sizeOf(permuted.slice(0, split)),
      cols: sizeOf(permuted.slice(split)),
      nodes: rowNodes,
      isFull: (v) => v === staged,
      params: new Map<Value, RowParam>([
        [staged, { base: scratch, dtype, full: { sR: sizeOf(permuted.slice(split)), sC: 1 }, scalar: null }],
        ...params.map((v, i): [Value, RowParam] => [
          v,
          rowParam(() => b.param(i + 1), v.type.dtype, v.type.shape, permuted, split, red.output.type.shape),
        ]),
      ]),
      root: programRoot(node),
      out: () => b.param(0),
      scratch: () => b.addr(scratch(), stagedBytes),
    };
    return { stmts: [...stage, ...emitRowProgram(b, program)], scratch: stagedBytes + rowScratchBytes(program) };
  });
}

/** The nodes `v` depends on within `nodes` (in order), itself included when computed there. */
function dependencies(nodes: readonly Node[], v: Value): Node[] {
  const needed = new Set<Value>([v]);
  for (let i = nodes.length - 1; i >= 0; i--)
    if (needed.has(nodes[i]!.output)) for (const x of nodes[i]!.inputs) needed.add(x);
  return nodes.filter((n) => needed.has(n.output));
}

/** Strides of an operand broadcast to `full`, reordered by `perm`. */
function permuteStrides(shape: readonly number[], full: readonly number[], perm: readonly number[]): number[] {
  const s = broadcastStridesTo(shape, full);
  return perm.map((a) => s[a]!);
}

/** argmax/argmin: stage the input with the reduced axes last, then scan each row. */
export function lowerArgReduce(ctx: ModuleContext, node: Node): Kernel {
  const x = node.inputs[0]!.type;
  const axes = node.attrs.axes as number[];
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const permuted = perm.map((a) => x.shape[a]!);
  const rows = sizeOf(kept.map((a) => x.shape[a]!));
  const cols = sizeOf(axes.map((a) => x.shape[a]!));
  const name = ctx.uniqueName(node.op);
  const bytes = elementBytes(x.dtype);
  return finishRowKernel(ctx, name, 3, (b) => {
    const { mod, binaryen } = b;
    const scratch = (): ExpressionRef => b.param(2);
    const stage = emitStridedMap(b, {
      shape: permuted,
      output: { base: scratch, dtype: x.dtype, strides: contiguousStrides(permuted) },
      inputs: [{ base: () => b.param(1), dtype: x.dtype, strides: permuteStrides(x.shape, x.shape, perm) }],
      compute: (ins) => ins[0]!(),
    });
    const t = x.dtype === 'f32' ? binaryen.f32 : binaryen.i32;
    const [r, j, idx, best, v] = [
      b.local(binaryen.i32),
      b.local(binaryen.i32),
      b.local(binaryen.i32),
      b.local(t),
      b.local(t),
    ];
    const load = (): ExpressionRef => {
      const ptr = mod.i32.add(
        scratch(),
        mod.i32.mul(mod.i32.add(mod.i32.mul(r.get(), b.i32(cols)), j.get()), b.i32(bytes)),
      );
      return x.dtype === 'f32' ? mod.f32.load(0, 4, ptr) : mod.i32.load(0, 4, ptr);
    };
    const better = (): ExpressionRef => {
      const [cur, prev] = [v.get(), best.get()];
      if (x.dtype !== 'f32') return node.op === 'argmax' ? mod.i32.gt_s(cur, prev) : mod.i32.lt_s(cur, prev);
      // The first NaN wins and then stays, as in the eager kernel.
      const beats = node.op === 'argmax' ? mod.f32.gt(cur, prev) : mod.f32.lt(cur, prev);
      return mod.i32.and(mod.f32.eq(best.get(), best.get()), mod.i32.or(mod.f32.ne(v.get(), v.get()), beats));
    };
    const scan = b.loop(r, b.i32(0), b.i32(rows), 1, [
      idx.set(b.i32(0)),
      j.set(b.i32(0)),
      best.set(load()),
      b.loop(j, b.i32(1), b.i32(cols), 1, [
        v.set(load()),
        mod.if(better(), mod.block(null, [best.set(v.get()), idx.set(j.get())])),
      ]),
      mod.i32.store(0, 4, mod.i32.add(b.param(0), mod.i32.mul(r.get(), b.i32(4))), idx.get()),
    ]);
    return { stmts: [...stage, scan], scratch: align16(sizeOf(permuted) * bytes) };
  });
}
