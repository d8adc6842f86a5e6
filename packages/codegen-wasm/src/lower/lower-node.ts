/**
 * @file Picks the lowering of each node: fused nodes by kind, plain ops by family. A fused node
 * whose operands a specialised kernel cannot walk is lowered unfused instead: its body nodes
 * become kernels of their own, with the intermediate values in scratch.
 */
import { isElementwise, isOpName, opFamily, sizeOf, type OpName } from '@kiln-jit/core';
import { CONSTANT_OP, fusionKindOf, isRegionOp, type FusionKind, type Node, type Value } from '@kiln-jit/tracer';
import { lowerControl } from './control-lowering.ts';
import type { ExpressionRef } from '../binaryen.ts';
import { FunctionBuilder } from '../function-builder.ts';
import type { ModuleContext } from './module-context.ts';
import { lowerElementwise } from './elementwise-lowering.ts';
import { lowerArgReduce, lowerReduce, lowerRows } from './reduce-lowering.ts';
import { lowerMatmul } from './matmul-lowering.ts';
import { hasLayoutLowering, lowerLayout } from './layout-lowering.ts';
import { lowerWindow } from './window-lowering.ts';
import { lowerRandom } from './random-lowering.ts';
import { RowLayoutError } from './row-kernel.ts';
import { elementBytes, splatConstant, storeOne } from './lanes.ts';
import { UnsupportedLowering, type Kernel, type NodeLowering } from './kernel-types.ts';

const byFusionKind: { [K in FusionKind]: NodeLowering } = {
  elementwise: lowerElementwise,
  rows: lowerRows,
  reduce: lowerReduce,
  matmul: lowerMatmul,
  conv2d: lowerWindow,
};

function lowerPlain(ctx: ModuleContext, node: Node): Kernel {
  if (!isOpName(node.op)) throw new Error(`codegen-wasm: cannot lower op ${node.op}`);
  const op = node.op as OpName;
  if (op === 'argmax' || op === 'argmin') return lowerArgReduce(ctx, node);
  if (op === 'matmul') return lowerMatmul(ctx, node);
  const family = opFamily(op);
  if (family === 'reduce') return lowerReduce(ctx, node);
  if (family === 'random') return lowerRandom(ctx, node);
  if (family === 'window') return lowerWindow(ctx, node);
  if (isElementwise(op)) return lowerElementwise(ctx, node);
  if (hasLayoutLowering(op)) return lowerLayout(ctx, node);
  throw new Error(`codegen-wasm: no lowering for ${op}`);
}

/** The kernel of one node (constants and views have none and never get here). */
export function lowerNode(ctx: ModuleContext, node: Node): Kernel {
  if (isRegionOp(node.op)) return lowerControl(ctx, node);
  const kind = fusionKindOf(node.op);
  if (kind === null) return lowerPlain(ctx, node);
  const fused = byFusionKind[kind];
  try {
    return fused(ctx, node);
  } catch (e) {
    if (e instanceof UnsupportedLowering || e instanceof RowLayoutError) return lowerUnfused(ctx, node);
    throw e;
  }
}

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** A fused node run as its body's nodes one by one, intermediates in scratch. */
function lowerUnfused(ctx: ModuleContext, node: Node): Kernel {
  const body = node.body!;
  const root = body.results[0]!;
  const slots = new Map<Value, number>();
  let offset = 0;
  for (const n of body.nodes) {
    if (n.output === root) continue;
    slots.set(n.output, offset);
    offset += align16(sizeOf(n.output.type.shape) * elementBytes(n.output.type.dtype));
  }
  const subKernels = body.nodes.map((n) => (n.op === CONSTANT_OP ? null : ctx.inside(() => lowerNode(ctx, n))));
  const subScratch = Math.max(0, ...subKernels.map((k) => k?.scratchBytes ?? 0));
  const name = ctx.uniqueName(`${node.op.replace('.', '_')}_unfused`);
  const b = new FunctionBuilder(ctx, body.params.length + 2);
  const scratch = (): ExpressionRef => b.param(body.params.length + 1);
  const address = (v: Value): ExpressionRef => {
    if (v === root) return b.param(0);
    const p = body.params.findIndex((q) => q.value === v);
    return p >= 0 ? b.param(p + 1) : b.addr(scratch(), slots.get(v)!);
  };
  const stmts = body.nodes.map((n, i) => {
    if (n.op === CONSTANT_OP) {
      return storeOne(
        b,
        n.output.type.dtype,
        address(n.output),
        splatConstant(b, n.output.type.dtype, n.attrs.value as number),
      );
    }
    return b.mod.call(
      subKernels[i]!.name,
      [address(n.output), ...n.inputs.map(address), b.addr(scratch(), offset)],
      b.binaryen.none,
    );
  });
  b.finish(name, stmts);
  return { name, scratchBytes: offset + subScratch };
}
