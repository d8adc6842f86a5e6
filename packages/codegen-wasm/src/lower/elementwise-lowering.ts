/**
 * @file Elementwise kernels: a plain elementwise op, or a fused.elementwise body, as one strided
 * map over the output with every input broadcast into it.
 */
import type { Node, Value } from '@kiln-jit/tracer';
import { FunctionBuilder, type Vec } from '../function-builder.ts';
import type { ModuleContext } from './module-context.ts';
import { evaluateNodes } from './dag.ts';
import {
  broadcastStridesTo,
  contiguousStrides,
  emitStridedMap,
  stridedMapExtent,
  type MapSpec,
} from './strided-map.ts';
import { sizeOf } from '@kiln-jit/core';
import type { Kernel } from './kernel-types.ts';

export function lowerElementwise(ctx: ModuleContext, node: Node): Kernel {
  const inputs = node.body ? node.body.params.map((p) => p.value) : node.inputs;
  const nodes = node.body ? node.body.nodes : [{ ...node, inputs }];
  const root = node.body ? node.body.results[0]! : node.output;
  const out = node.output.type;
  const name = ctx.uniqueName(node.op.replace('.', '_'));
  const spec: MapSpec = {
    shape: out.shape,
    output: { base: () => b.param(0), dtype: out.dtype, strides: contiguousStrides(out.shape) },
    inputs: inputs.map((v, i) => ({
      base: () => b.param(i + 1),
      dtype: v.type.dtype,
      strides: broadcastStridesTo(v.type.shape, out.shape),
    })),
    compute: (ins, body) => {
      const values = new Map<Value, Vec>(inputs.map((v, i) => [v, ins[i]!]));
      body.push(...evaluateNodes(b, nodes, values));
      return values.get(root)!();
    },
  };
  // Threads share a map as chunks of its outermost loop (lo, hi follow scratch).
  const extent = ctx.splits(sizeOf(out.shape) * nodes.length) ? stridedMapExtent(spec) : 1;
  const split = extent > 1;
  const b = new FunctionBuilder(ctx, inputs.length + (split ? 4 : 2));
  const range = split ? { lo: () => b.param(inputs.length + 2), hi: () => b.param(inputs.length + 3) } : undefined;
  b.finish(name, emitStridedMap(b, spec, range));
  return split ? { name, scratchBytes: 0, split: { extent } } : { name, scratchBytes: 0 };
}
