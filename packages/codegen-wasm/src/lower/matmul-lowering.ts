/**
 * @file matmul and fused.matmul kernels: the register-blocked SIMD kernel of kernels/matmul.ts for
 * each matrix of a batch (batch dims broadcast by stride), with a fused node's elementwise
 * epilogue applied as each output vector is stored. i32 matmuls use a plain loop.
 */
import { matrixDims, sizeOf } from '@kiln-jit/core';
import type { Node, Value } from '@kiln-jit/tracer';
import type { ExpressionRef } from '../binaryen.ts';
import {
  addMatmulFunction,
  matmulTile,
  matmulScratchBytes,
  type EpilogueInputs,
  type MatmulOptions,
  type MatmulSpec,
} from '../kernels/matmul.ts';
import { FunctionBuilder, type Local, type Vec } from '../function-builder.ts';
import type { ModuleContext } from './module-context.ts';
import { evaluateNodes } from './dag.ts';
import { elementBytes, loadSplat, loadVector } from './lanes.ts';
import { outerLoops, type Strided } from './loop-nest.ts';
import { broadcastStridesTo } from './strided-map.ts';
import { UnsupportedLowering, type Kernel } from './kernel-types.ts';
import { jsonNumber } from '../json-number.ts';

export interface MatmulParts {
  /** The matmul (or the convolution whose matmul takes the epilogue). */
  matmul: Node;
  /** Epilogue nodes (after the matmul in a fused body). */
  epilogue: Node[];
  /** Kernel params (1-based after out) of A and B, and of each epilogue input. */
  aParam: number;
  bParam: number;
  extra: Value[];
}

/** The matmul-like node of a (possibly fused) node, its epilogue and the kernel params they read. */
export function partsOf(node: Node, op = 'matmul'): MatmulParts {
  if (!node.body) return { matmul: node, epilogue: [], aParam: 1, bParam: 2, extra: [] };
  const params = node.body.params.map((p) => p.value);
  const matmul = node.body.nodes.find((n) => n.op === op)!;
  const epilogue = node.body.nodes.filter((n) => n !== matmul);
  const used = new Set(epilogue.flatMap((n) => n.inputs));
  return {
    matmul,
    epilogue,
    aParam: params.indexOf(matmul.inputs[0]!) + 1,
    bParam: params.indexOf(matmul.inputs[1]!) + 1,
    extra: params.filter((v) => used.has(v)),
  };
}

/** Element strides along the rows and columns of C of an epilogue input. */
export interface EpilogueLayout {
  sR: number;
  sC: number;
}

/** An epilogue input broadcast to C [m, n]; it must be read along the columns at stride 0 or 1. */
function matrixLayout(v: Value, m: number, n: number): EpilogueLayout {
  const s = broadcastStridesTo(v.type.shape, [m, n]);
  if (s[1] !== 0 && s[1] !== 1) throw new UnsupportedLowering('epilogue input read across columns');
  return { sR: s[0]!, sC: s[1]! };
}

/**
 * What an epilogue computes, as text: each input's dtype and strides, then each node's op,
 * attributes, inputs (by position) and dtype; apply() lowers from nothing else. Undefined when a
 * node reads a value it does not know (never shared then).
 */
function epilogueKey(parts: MatmulParts, layouts: ({ v: Value } & EpilogueLayout)[], root: Value): string | undefined {
  const names = new Map<Value, string>([[parts.matmul.output, 'acc']]);
  layouts.forEach(({ v }, i) => names.set(v, `in${i}`));
  const nodes = parts.epilogue.map((n, i) => {
    const inputs = n.inputs.map((v) => names.get(v));
    names.set(n.output, `t${i}`);
    return [n.op, n.attrs, inputs, n.output.type.dtype];
  });
  if (nodes.some(([, , inputs]) => (inputs as unknown[]).includes(undefined)) || !names.has(root)) return undefined;
  // JSON has no text for ±Infinity, NaN and -0 (it writes null, or 0): they get markers.
  const exact = (_: string, x: unknown): unknown => (typeof x === 'number' ? jsonNumber(x) : x);
  return JSON.stringify([layouts.map(({ v, sR, sC }) => [v.type.dtype, sR, sC]), nodes, names.get(root)], exact);
}

/** The epilogue as a MatmulEpilogue: evaluates the fused body's tail on each stored vector. */
export function epilogueOf(
  ctx: ModuleContext,
  parts: MatmulParts,
  root: Value,
  m: number,
  n: number,
  layoutOf: (v: Value) => EpilogueLayout = (v) => matrixLayout(v, m, n),
): MatmulSpec['epilogue'] {
  if (parts.epilogue.length === 0) return undefined;
  const layouts = parts.extra.map((v) => ({ v, ...layoutOf(v) }));
  return {
    extraParams: parts.extra.length,
    key: epilogueKey(parts, layouts, root),
    apply(e: EpilogueInputs): ExpressionRef {
      const b = new FunctionBuilder(ctx, 0, e.builder);
      const { mod, binaryen } = b;
      const stmts: ExpressionRef[] = [];
      const [setAcc, acc] = b.keep(e.lanes === 4 ? e.acc : mod.f32x4.splat(e.acc));
      stmts.push(setAcc);
      const values = new Map<Value, Vec>([[parts.matmul.output, acc]]);
      layouts.forEach(({ v, sR, sC }, i) => {
        const bytes = elementBytes(v.type.dtype);
        let addr = e.param(i);
        if (sR) addr = mod.i32.add(addr, mod.i32.mul(e.row, b.i32(sR * bytes)));
        if (sC) addr = mod.i32.add(addr, mod.i32.mul(e.col, b.i32(bytes)));
        const [set, get] = b.keep(
          e.lanes === 4 && sC === 1 ? loadVector(b, v.type.dtype, addr) : loadSplat(b, v.type.dtype, addr),
        );
        stmts.push(set);
        values.set(v, get);
      });
      stmts.push(...evaluateNodes(b, parts.epilogue, values));
      const result = mod.block(null, [...stmts, values.get(root)!()], binaryen.v128);
      return e.lanes === 4 ? result : mod.f32x4.extract_lane(result, 0);
    },
  };
}

/** Byte strides of each batch dimension of an operand broadcast to the output's batch shape. */
function batchStrides(shape: readonly number[], batch: readonly number[]): number[] {
  const matrix = sizeOf(shape.slice(-2));
  return broadcastStridesTo(shape.slice(0, -2), batch).map((s) => s * matrix);
}

export function lowerMatmul(ctx: ModuleContext, node: Node): Kernel {
  const parts = partsOf(node);
  const { matmul } = parts;
  const [a, bIn] = matmul.inputs as [Value, Value];
  const transA = matmul.attrs.transposeA === true;
  const transB = matmul.attrs.transposeB === true;
  const [m, k] = matrixDims(a.type.shape, transA);
  const n = matrixDims(bIn.type.shape, transB)[1];
  const out = node.output.type;
  const batch = out.shape.slice(0, -2);
  if (out.dtype !== 'f32' || a.type.dtype !== 'f32') {
    if (parts.epilogue.length) throw new UnsupportedLowering('only f32 matmuls take an epilogue');
    return lowerIntMatmul(ctx, node, m, n, k, transA, transB);
  }
  const root = node.body ? node.body.results[0]! : node.output;
  if (parts.epilogue.length && batch.length) throw new UnsupportedLowering('batched matmul epilogues are unfused');
  const spec: MatmulSpec = { m, n, k, transA, transB, epilogue: epilogueOf(ctx, parts, root, m, n) };
  const kernel2d = ctx.uniqueName('matmul2d');
  // Threads split C in whole register tiles (lo, hi, in tiles, follow scratch): by rows, where
  // each thread packs all of B, or by columns, where each packs all of A; the smaller is copied.
  const tile = matmulTile({ fma: ctx.fma });
  const range = m * k <= k * n && n > tile.cols ? 'cols' : 'rows';
  const [extentOf, unit] = range === 'rows' ? [m, tile.rows] : [n, tile.cols];
  const tiles = Math.ceil(extentOf / unit);
  const split = tiles > 1 && ctx.splits(sizeOf(batch) * m * n * k);
  const options: MatmulOptions = { fma: ctx.fma, ...(split ? { range } : {}) };
  addMatmulFunction(ctx.binaryen, ctx.mod, kernel2d, spec, options);
  const addressCount = (node.body ? node.body.params.length : 2) + 2;
  const name = ctx.uniqueName(node.op.replace('.', '_'));
  const b = new FunctionBuilder(ctx, addressCount + (split ? 2 : 0));
  const scratch = (): ExpressionRef => b.param(addressCount - 1);
  const bounds = (): ExpressionRef[] => {
    if (!split) return [];
    const end = b.mod.i32.mul(b.param(addressCount + 1), b.i32(unit));
    return [
      b.mod.i32.mul(b.param(addressCount), b.i32(unit)),
      b.mod.select(b.mod.i32.lt_s(end, b.i32(extentOf)), end, b.i32(extentOf)),
    ];
  };
  const operands: Strided[] = [
    { base: () => b.param(0), bytes: 1, strides: [...batchStrides(out.shape, batch).map((s) => s * 4), 0] },
    {
      base: () => b.param(parts.aParam),
      bytes: 1,
      strides: [...batchStrides(a.type.shape, batch).map((s) => s * 4), 0],
    },
    {
      base: () => b.param(parts.bParam),
      bytes: 1,
      strides: [...batchStrides(bIn.type.shape, batch).map((s) => s * 4), 0],
    },
  ];
  const extraArgs = (): ExpressionRef[] =>
    parts.extra.map((v) => b.param(node.body!.params.findIndex((p) => p.value === v) + 1));
  const stmts = outerLoops(b, [...batch, 1], operands, ([o, x, y]) => [
    b.mod.call(kernel2d, [x!.base(), y!.base(), o!.base(), scratch(), ...extraArgs(), ...bounds()], b.binaryen.none),
  ]);
  b.finish(name, stmts);
  const scratchBytes = matmulScratchBytes(spec, options);
  return split ? { name, scratchBytes, split: { extent: tiles } } : { name, scratchBytes };
}

/** i32 matmul (rare): a plain triple loop, wrapping like Math.imul sums. */
function lowerIntMatmul(
  ctx: ModuleContext,
  node: Node,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): Kernel {
  const [a, bIn] = node.inputs as [Value, Value];
  const out = node.output.type;
  const batch = out.shape.slice(0, -2);
  const name = ctx.uniqueName('matmul_i32');
  const b = new FunctionBuilder(ctx, 4);
  const { mod, binaryen } = b;
  const [i, j, p, acc] = [b.local(binaryen.i32), b.local(binaryen.i32), b.local(binaryen.i32), b.local(binaryen.i32)];
  const get = (l: Local): ExpressionRef => l.get();
  const at = (base: ExpressionRef, r: ExpressionRef, rs: number, c: ExpressionRef, cs: number): ExpressionRef =>
    mod.i32.load(0, 4, mod.i32.add(base, mod.i32.add(mod.i32.mul(r, b.i32(rs * 4)), mod.i32.mul(c, b.i32(cs * 4)))));
  const operands: Strided[] = [
    { base: () => b.param(0), bytes: 1, strides: [...batchStrides(out.shape, batch).map((s) => s * 4), 0] },
    { base: () => b.param(1), bytes: 1, strides: [...batchStrides(a.type.shape, batch).map((s) => s * 4), 0] },
    { base: () => b.param(2), bytes: 1, strides: [...batchStrides(bIn.type.shape, batch).map((s) => s * 4), 0] },
  ];
  const stmts = outerLoops(b, [...batch, 1], operands, ([o, x, y]) => [
    b.loop(i, b.i32(0), b.i32(m), 1, [
      b.loop(j, b.i32(0), b.i32(n), 1, [
        acc.set(b.i32(0)),
        b.loop(p, b.i32(0), b.i32(k), 1, [
          acc.set(
            mod.i32.add(
              get(acc),
              mod.i32.mul(
                transA ? at(x!.base(), get(p), m, get(i), 1) : at(x!.base(), get(i), k, get(p), 1),
                transB ? at(y!.base(), get(j), k, get(p), 1) : at(y!.base(), get(p), n, get(j), 1),
              ),
            ),
          ),
        ]),
        mod.i32.store(
          0,
          4,
          mod.i32.add(o!.base(), mod.i32.mul(mod.i32.add(mod.i32.mul(get(i), b.i32(n)), get(j)), b.i32(4))),
          get(acc),
        ),
      ]),
    ]),
  ]);
  b.finish(name, stmts);
  return { name, scratchBytes: 0 };
}
