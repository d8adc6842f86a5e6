/**
 * @file Kernels of the window ops. Convolutions run on the register-blocked matmul of
 * kernels/matmul.ts: conv2d packs the taps of a chunk of images into rows (im2col) and multiplies
 * them by the HWIO filter, which is already the [kH·kW·C, O] matrix; the input gradient multiplies
 * dy by the filter's transpose and scatters the rows back (col2im); the filter gradient multiplies
 * the transposed rows by dy, summed over chunks. A 1×1, stride-1, unpadded convolution needs no
 * packing. Pooling runs window reductions over four channels at a time in SIMD when the channel
 * count allows (one otherwise); the max-pool gradient follows the first maximum per channel.
 */
import { convWindow, poolWindow, type Conv2dAttrs, type PoolAttrs, type Window2d, type WindowOp } from '@kiln-jit/core';
import type { Node, Value } from '@kiln-jit/tracer';
import type { ExpressionRef, TypeRef } from '../binaryen.ts';
import { FunctionBuilder, type Local } from '../function-builder.ts';
import { addMatmulFunction, matmulScratchBytes, type MatmulOptions, type MatmulSpec } from '../kernels/matmul.ts';
import type { KernelBuilder, ModuleContext } from './module-context.ts';
import { UnsupportedLowering, type Kernel } from './kernel-types.ts';
import { epilogueOf, partsOf, type EpilogueLayout } from './matmul-lowering.ts';
import { broadcastStridesTo } from './strided-map.ts';

/** im2col rows of at most this many bytes are packed at once (so they stay near the cache). */
const COLS_BUDGET = 2 << 20;

const align16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Loop counters of a window nest over the images of a chunk. */
interface Taps {
  n: Local;
  oh: Local;
  ow: Local;
  kh: Local;
  kw: Local;
  ih: Local;
  iw: Local;
}

interface TapHooks {
  /** Per output position, before its taps. */
  before?: (t: Taps) => ExpressionRef[];
  /** Per tap inside the input. */
  valid: (t: Taps) => ExpressionRef[];
  /** Per tap in the padding (skipped when absent). */
  padding?: (t: Taps) => ExpressionRef[];
  /** Per output position, after its taps. */
  after?: (t: Taps) => ExpressionRef[];
}

function tapLocals(b: KernelBuilder): Taps {
  const l = (): Local => b.local(b.binaryen.i32);
  return { n: l(), oh: l(), ow: l(), kh: l(), kw: l(), ih: l(), iw: l() };
}

/** for n < images, oh, ow: before; for kh, kw: valid or padding; after. */
function tapNest(b: KernelBuilder, w: Window2d, images: number, t: Taps, hooks: TapHooks): ExpressionRef {
  const { mod } = b;
  const at = (o: Local, stride: number, k: Local, dilation: number, pad: number): ExpressionRef =>
    mod.i32.add(mod.i32.mul(o.get(), b.i32(stride)), mod.i32.add(mod.i32.mul(k.get(), b.i32(dilation)), b.i32(-pad)));
  const block = (stmts: ExpressionRef[]): ExpressionRef => mod.block(null, stmts.length ? stmts : [mod.nop()]);
  const kwLoop = (): ExpressionRef =>
    b.loop(t.kw, b.i32(0), b.i32(w.kW), 1, [
      t.iw.set(at(t.ow, w.strideW, t.kw, w.dilationW, w.padLeft)),
      hooks.padding
        ? mod.if(mod.i32.lt_u(t.iw.get(), b.i32(w.inW)), block(hooks.valid(t)), block(hooks.padding(t)))
        : mod.if(mod.i32.lt_u(t.iw.get(), b.i32(w.inW)), block(hooks.valid(t))),
    ]);
  const khLoop = b.loop(t.kh, b.i32(0), b.i32(w.kH), 1, [
    t.ih.set(at(t.oh, w.strideH, t.kh, w.dilationH, w.padTop)),
    hooks.padding
      ? mod.if(
          mod.i32.lt_u(t.ih.get(), b.i32(w.inH)),
          kwLoop(),
          b.loop(t.kw, b.i32(0), b.i32(w.kW), 1, hooks.padding(t)),
        )
      : mod.if(mod.i32.lt_u(t.ih.get(), b.i32(w.inH)), kwLoop()),
  ]);
  return b.loop(t.n, b.i32(0), b.i32(images), 1, [
    b.loop(t.oh, b.i32(0), b.i32(w.outH), 1, [
      b.loop(t.ow, b.i32(0), b.i32(w.outW), 1, [...(hooks.before?.(t) ?? []), khLoop, ...(hooks.after?.(t) ?? [])]),
    ]),
  ]);
}

/** Byte address of element ((i0·d1 + i1)·d2 + i2)·... · inner of a buffer at `base`. */
function index(b: KernelBuilder, base: ExpressionRef, parts: [ExpressionRef, number][], inner: number): ExpressionRef {
  const { mod } = b;
  let e = parts[0]![0];
  for (const [i, dim] of parts.slice(1)) e = mod.i32.add(mod.i32.mul(e, b.i32(dim)), i);
  return mod.i32.add(base, mod.i32.mul(e, b.i32(inner * 4)));
}

const inputAt = (b: KernelBuilder, base: ExpressionRef, w: Window2d, t: Taps): ExpressionRef =>
  index(
    b,
    base,
    [
      [t.n.get(), 0],
      [t.ih.get(), w.inH],
      [t.iw.get(), w.inW],
    ],
    w.inC,
  );
const outputAt = (b: KernelBuilder, base: ExpressionRef, w: Window2d, t: Taps): ExpressionRef =>
  index(
    b,
    base,
    [
      [t.n.get(), 0],
      [t.oh.get(), w.outH],
      [t.ow.get(), w.outW],
    ],
    w.outC,
  );
/** The im2col row of an output position, at the column block of tap (kh, kw). */
const colsAt = (b: KernelBuilder, base: ExpressionRef, w: Window2d, t: Taps): ExpressionRef =>
  index(
    b,
    base,
    [
      [t.n.get(), 0],
      [t.oh.get(), w.outH],
      [t.ow.get(), w.outW],
      [t.kh.get(), w.kH],
      [t.kw.get(), w.kW],
    ],
    w.inC,
  );

/** f32 lanes: four channels at a time when the channel count allows, else one. */
interface Lanes {
  width: 1 | 4;
  type: TypeRef;
  load(ptr: ExpressionRef): ExpressionRef;
  store(ptr: ExpressionRef, v: ExpressionRef): ExpressionRef;
  add(a: ExpressionRef, c: ExpressionRef): ExpressionRef;
  mul(a: ExpressionRef, c: ExpressionRef): ExpressionRef;
  max(a: ExpressionRef, c: ExpressionRef): ExpressionRef;
  splat(x: ExpressionRef): ExpressionRef;
  constant(x: number): ExpressionRef;
}

function lanesFor(b: KernelBuilder, channels: number): Lanes {
  const { mod, binaryen } = b;
  if (channels % 4 === 0) {
    return {
      width: 4,
      type: binaryen.v128,
      load: (p) => mod.v128.load(0, 4, p),
      store: (p, v) => mod.v128.store(0, 4, p, v),
      add: (a, c) => mod.f32x4.add(a, c),
      mul: (a, c) => mod.f32x4.mul(a, c),
      max: (a, c) => mod.f32x4.max(a, c),
      splat: (x) => mod.f32x4.splat(x),
      constant: (x) => b.f32x4(x),
    };
  }
  return {
    width: 1,
    type: binaryen.f32,
    load: (p) => mod.f32.load(0, 4, p),
    store: (p, v) => mod.f32.store(0, 4, p, v),
    add: (a, c) => mod.f32.add(a, c),
    mul: (a, c) => mod.f32.mul(a, c),
    max: (a, c) => mod.f32.max(a, c),
    splat: (x) => x,
    constant: (x) => mod.f32.const(x),
  };
}

/** for c < channels step lanes: body(byte offset of channel c). */
function channelLoop(b: KernelBuilder, lanes: Lanes, channels: number, body: (off: ExpressionRef) => ExpressionRef[]) {
  const c = b.local(b.binaryen.i32);
  return b.loop(c, b.i32(0), b.i32(channels), lanes.width, body(b.mod.i32.mul(c.get(), b.i32(4))));
}

const zeroFill = (b: KernelBuilder, ptr: ExpressionRef, bytes: number): ExpressionRef =>
  b.mod.memory.fill(ptr, b.i32(0), b.i32(bytes));

// ---- convolutions -------------------------------------------------------------------------------

/** Images per im2col chunk: the largest divisor of the batch whose rows fit the budget. */
function chunkImages(w: Window2d): number {
  const perImage = w.outH * w.outW * w.kH * w.kW * w.inC * 4;
  let best = 1;
  for (let d = 1; d <= w.batch; d++) if (w.batch % d === 0 && d * perImage <= COLS_BUDGET) best = d;
  return best;
}

const isPointwise = (w: Window2d): boolean =>
  w.kH === 1 && w.kW === 1 && w.strideH === 1 && w.strideW === 1 && w.padTop === 0 && w.padLeft === 0;

/** Copies (im2col) or adds back (col2im) the taps of `images` images between x and the rows. */
function packTaps(
  b: KernelBuilder,
  w: Window2d,
  images: number,
  x: () => ExpressionRef,
  cols: () => ExpressionRef,
  direction: 'pack' | 'unpack',
): ExpressionRef {
  const lanes = lanesFor(b, w.inC);
  const t = tapLocals(b);
  const { mod } = b;
  const [xp, cp] = [b.local(), b.local()];
  const addresses = (): ExpressionRef[] => [xp.set(inputAt(b, x(), w, t)), cp.set(colsAt(b, cols(), w, t))];
  const valid = (): ExpressionRef[] => [
    ...addresses(),
    channelLoop(b, lanes, w.inC, (off) =>
      direction === 'pack'
        ? [lanes.store(mod.i32.add(cp.get(), off), lanes.load(mod.i32.add(xp.get(), off)))]
        : [
            lanes.store(
              mod.i32.add(xp.get(), off),
              lanes.add(lanes.load(mod.i32.add(xp.get(), off)), lanes.load(mod.i32.add(cp.get(), off))),
            ),
          ],
    ),
  ];
  const padding =
    direction === 'pack' ? (): ExpressionRef[] => [zeroFill(b, colsAt(b, cols(), w, t), w.inC * 4)] : undefined;
  return tapNest(b, w, images, t, { valid, padding });
}

interface ChunkPlan {
  images: number;
  chunks: number;
  /** Bytes of im2col rows per chunk (0 for pointwise convolutions). */
  colsBytes: number;
  rows: number;
}

function chunkPlan(w: Window2d): ChunkPlan {
  const images = isPointwise(w) ? w.batch : chunkImages(w);
  const rows = images * w.outH * w.outW;
  return {
    images,
    chunks: w.batch / images,
    colsBytes: isPointwise(w) ? 0 : align16(rows * w.kH * w.kW * w.inC * 4),
    rows,
  };
}

/**
 * The matmul blocking of a convolution. Its k (taps × channels) is short, so one k block holds it
 * and C is stored once instead of re-read per block; with 16 or more output channels, 2×16 tiles
 * and 64-row A blocks (conv3x3 of 64 channels measured ~15-20% faster than the 4×8 default, on a
 * loaded machine); fewer channels keep 4×8, which wastes fewer lanes (also with FMA, whose
 * default 3×12 tile would waste a third of an 8-channel row).
 */
function convBlocking(spec: MatmulSpec, fma: boolean): MatmulOptions {
  const wide = spec.n >= 16 && spec.n % 16 === 0;
  return {
    fma,
    blocking: {
      ...(spec.k <= 1024 ? { kc: spec.k } : {}),
      ...(wide ? { mr: 2, nr: 16, mc: 64 } : { mr: 4, nr: 8 }),
    },
  };
}

/** Emits `for chunk: body(chunk index)`, with the kernel's params as (out, a, b, scratch). */
function convKernel(
  ctx: ModuleContext,
  prefix: string,
  spec: MatmulSpec,
  extraScratch: number,
  plan: ChunkPlan,
  body: (b: KernelBuilder, chunk: Local, matmul: string, scratch: () => ExpressionRef) => ExpressionRef[],
  paramCount = 4,
): Kernel {
  const matmul = ctx.uniqueName(`${prefix}_matmul`);
  const options = convBlocking(spec, ctx.fma);
  addMatmulFunction(ctx.binaryen, ctx.mod, matmul, spec, options);
  const name = ctx.uniqueName(prefix);
  const b = new FunctionBuilder(ctx, paramCount);
  const chunk = b.local();
  b.finish(name, [
    b.loop(
      chunk,
      b.i32(0),
      b.i32(plan.chunks),
      1,
      body(b, chunk, matmul, () => b.param(paramCount - 1)),
    ),
  ]);
  return { name, scratchBytes: plan.colsBytes + extraScratch + matmulScratchBytes(spec, options) };
}

const chunkOffset = (b: KernelBuilder, base: ExpressionRef, chunk: Local, bytes: number): ExpressionRef =>
  b.mod.i32.add(base, b.mod.i32.mul(chunk.get(), b.i32(bytes)));

/**
 * Where a conv2d epilogue input sits in C = [rows, channels] (rows = n·outH·outW): along the
 * channels at stride 0 or 1, and along the rows as a whole output-shaped tensor or not at all.
 */
function convEpilogueLayout(v: Value, out: readonly number[]): EpilogueLayout {
  const s = broadcastStridesTo(v.type.shape, out);
  const [, oh, ow] = out as [number, number, number, number];
  const sR = s[2]!;
  if ((s[3] !== 0 && s[3] !== 1) || s[1] !== sR * ow || s[0] !== sR * ow * oh)
    throw new UnsupportedLowering('conv2d epilogue input that is not per channel or output-shaped');
  return { sR, sC: s[3]! };
}

/** conv2d, or fused.conv2d: the convolution with an elementwise epilogue (bias, relu, scale/shift). */
function lowerConv2d(ctx: ModuleContext, node: Node): Kernel {
  const parts = partsOf(node, 'conv2d');
  const conv = parts.matmul;
  const [x, f] = conv.inputs;
  const w = convWindow(x!.type.shape, f!.type.shape, conv.attrs as unknown as Conv2dAttrs);
  const plan = chunkPlan(w);
  const k = w.kH * w.kW * w.inC;
  const out = conv.output.type.shape;
  const layouts = new Map(parts.extra.map((v) => [v, convEpilogueLayout(v, out)]));
  const root = node.body ? node.body.results[0]! : node.output;
  const epilogue = epilogueOf(ctx, parts, root, plan.rows, w.outC, (v) => layouts.get(v)!);
  const spec: MatmulSpec = { m: plan.rows, n: w.outC, k, transA: false, transB: false, epilogue };
  const inBytes = plan.images * w.inH * w.inW * w.inC * 4;
  const outBytes = plan.rows * w.outC * 4;
  const paramCount = (node.body ? node.body.params.length : 2) + 2;
  return convKernel(
    ctx,
    node.op.replace('.', '_'),
    spec,
    0,
    plan,
    (b, chunk, matmul, scratch) => {
      const xChunk = (): ExpressionRef => chunkOffset(b, b.param(parts.aParam), chunk, inBytes);
      const rows = plan.colsBytes ? scratch : xChunk;
      // The matmul's rows are the chunk's: output-shaped epilogue inputs start at the chunk too.
      const extra = parts.extra.map((v) => {
        const base = b.param(node.body!.params.findIndex((p) => p.value === v) + 1);
        const { sR } = layouts.get(v)!;
        return sR ? chunkOffset(b, base, chunk, plan.rows * sR * 4) : base;
      });
      return [
        ...(plan.colsBytes ? [packTaps(b, w, plan.images, xChunk, scratch, 'pack')] : []),
        b.mod.call(
          matmul,
          [
            rows(),
            b.param(parts.bParam),
            chunkOffset(b, b.param(0), chunk, outBytes),
            b.addr(scratch(), plan.colsBytes),
            ...extra,
          ],
          b.binaryen.none,
        ),
      ];
    },
    paramCount,
  );
}

function lowerConv2dBackpropInput(ctx: ModuleContext, node: Node): Kernel {
  const attrs = node.attrs as unknown as Conv2dAttrs & { inputShape: number[] };
  const w = convWindow(attrs.inputShape, node.inputs[1]!.type.shape, attrs);
  const plan = chunkPlan(w);
  const k = w.kH * w.kW * w.inC;
  // rows[M, k] = dy[M, O] · filterᵀ, the filter stored as [k, O].
  const spec: MatmulSpec = { m: plan.rows, n: k, k: w.outC, transA: false, transB: true };
  const inBytes = plan.images * w.inH * w.inW * w.inC * 4;
  const dyBytes = plan.rows * w.outC * 4;
  return convKernel(ctx, 'conv2d_backprop_input', spec, 0, plan, (b, chunk, matmul, scratch) => {
    const dxChunk = (): ExpressionRef => chunkOffset(b, b.param(0), chunk, inBytes);
    const dy = chunkOffset(b, b.param(1), chunk, dyBytes);
    if (!plan.colsBytes) return [b.mod.call(matmul, [dy, b.param(2), dxChunk(), scratch()], b.binaryen.none)];
    return [
      b.mod.call(matmul, [dy, b.param(2), scratch(), b.addr(scratch(), plan.colsBytes)], b.binaryen.none),
      zeroFill(b, dxChunk(), inBytes),
      packTaps(b, w, plan.images, dxChunk, scratch, 'unpack'),
    ];
  });
}

function lowerConv2dBackpropFilter(ctx: ModuleContext, node: Node): Kernel {
  const attrs = node.attrs as unknown as Conv2dAttrs & { filterShape: number[] };
  const w = convWindow(node.inputs[0]!.type.shape, attrs.filterShape, attrs);
  const plan = chunkPlan(w);
  const k = w.kH * w.kW * w.inC;
  // df[k, O] = rowsᵀ · dy, rows stored as [M, k]; chunks after the first add into df.
  const spec: MatmulSpec = { m: k, n: w.outC, k: plan.rows, transA: true, transB: false };
  const partial = plan.chunks > 1 ? align16(k * w.outC * 4) : 0;
  const inBytes = plan.images * w.inH * w.inW * w.inC * 4;
  const dyBytes = plan.rows * w.outC * 4;
  return convKernel(ctx, 'conv2d_backprop_filter', spec, partial, plan, (b, chunk, matmul, scratch) => {
    const { mod } = b;
    const xChunk = (): ExpressionRef => chunkOffset(b, b.param(1), chunk, inBytes);
    const rows = plan.colsBytes ? scratch : xChunk;
    const product = (): ExpressionRef => b.addr(scratch(), plan.colsBytes);
    const matmulScratch = b.addr(scratch(), plan.colsBytes + partial);
    const dy = chunkOffset(b, b.param(2), chunk, dyBytes);
    const pack = plan.colsBytes ? [packTaps(b, w, plan.images, xChunk, scratch, 'pack')] : [];
    if (!partial) return [...pack, mod.call(matmul, [rows(), dy, b.param(0), matmulScratch], b.binaryen.none)];
    const lanes = lanesFor(b, k * w.outC);
    const i = b.local();
    const sumInto = b.loop(i, b.i32(0), b.i32(k * w.outC * 4), 4 * lanes.width, [
      lanes.store(
        mod.i32.add(b.param(0), i.get()),
        lanes.add(lanes.load(mod.i32.add(b.param(0), i.get())), lanes.load(mod.i32.add(product(), i.get()))),
      ),
    ]);
    return [
      ...pack,
      mod.if(
        mod.i32.eqz(chunk.get()),
        mod.call(matmul, [rows(), dy, b.param(0), matmulScratch], b.binaryen.none),
        mod.block(null, [mod.call(matmul, [rows(), dy, product(), matmulScratch], b.binaryen.none), sumInto]),
      ),
    ];
  });
}

// ---- pooling ------------------------------------------------------------------------------------

function poolKernel(
  ctx: ModuleContext,
  prefix: string,
  params: number,
  build: (b: KernelBuilder) => ExpressionRef[],
): Kernel {
  const name = ctx.uniqueName(prefix);
  const b = new FunctionBuilder(ctx, params);
  b.finish(name, build(b));
  return { name, scratchBytes: 0 };
}

/** max or mean of each window, `lanes` channels at a time. */
function lowerPool(ctx: ModuleContext, node: Node, kind: 'max' | 'avg'): Kernel {
  const w = poolWindow(node.inputs[0]!.type.shape, node.attrs as unknown as PoolAttrs);
  return poolKernel(ctx, `${kind}_pool`, 3, (b) => {
    const { mod } = b;
    const lanes = lanesFor(b, w.inC);
    const [acc, count, c] = [b.local(lanes.type), b.local(), b.local()];
    const t = tapLocals(b);
    const off = (): ExpressionRef => mod.i32.mul(c.get(), b.i32(4));
    const nest = tapNest(b, w, w.batch, t, {
      before: () => [acc.set(lanes.constant(kind === 'max' ? -Infinity : 0)), count.set(b.i32(0))],
      valid: () => {
        const v = lanes.load(mod.i32.add(inputAt(b, b.param(1), w, t), off()));
        return [acc.set(kind === 'max' ? lanes.max(acc.get(), v) : lanes.add(acc.get(), v)), b.increment(count, 1)];
      },
      after: () => {
        const mean = (): ExpressionRef =>
          lanes.mul(acc.get(), lanes.splat(mod.f32.div(mod.f32.const(1), mod.f32.convert_s.i32(count.get()))));
        return [lanes.store(mod.i32.add(outputAt(b, b.param(0), w, t), off()), kind === 'max' ? acc.get() : mean())];
      },
    });
    return [b.loop(c, b.i32(0), b.i32(w.inC), lanes.width, [nest])];
  });
}

/** dx: each dy element added at its window's first maximum (NaN wins, as in the eager kernel). */
function lowerMaxPoolGrad(ctx: ModuleContext, node: Node): Kernel {
  const w = poolWindow(node.inputs[0]!.type.shape, node.attrs as unknown as PoolAttrs);
  const inBytes = w.batch * w.inH * w.inW * w.inC * 4;
  return poolKernel(ctx, 'max_pool_grad', 4, (b) => {
    const { mod, binaryen } = b;
    const [best, bestValue, v, c] = [b.local(), b.local(binaryen.f32), b.local(binaryen.f32), b.local()];
    const t = tapLocals(b);
    // The byte offset of the tap's channel c, the same in x and dx.
    const at = (): ExpressionRef => mod.i32.add(inputAt(b, b.i32(0), w, t), mod.i32.mul(c.get(), b.i32(4)));
    const isNaN = (x: Local): ExpressionRef => mod.f32.ne(x.get(), x.get());
    const nest = tapNest(b, w, w.batch, t, {
      before: () => [best.set(b.i32(-1))],
      valid: () => [
        v.set(mod.f32.load(0, 4, mod.i32.add(b.param(1), at()))),
        mod.if(
          mod.i32.or(
            mod.i32.lt_s(best.get(), b.i32(0)),
            mod.i32.or(mod.f32.gt(v.get(), bestValue.get()), mod.i32.and(isNaN(v), mod.i32.eqz(isNaN(bestValue)))),
          ),
          mod.block(null, [best.set(at()), bestValue.set(v.get())]),
        ),
      ],
      after: () => {
        const dx = (): ExpressionRef => mod.i32.add(b.param(0), best.get());
        const dy = mod.f32.load(0, 4, mod.i32.add(outputAt(b, b.param(2), w, t), mod.i32.mul(c.get(), b.i32(4))));
        return [mod.f32.store(0, 4, dx(), mod.f32.add(mod.f32.load(0, 4, dx()), dy))];
      },
    });
    return [zeroFill(b, b.param(0), inBytes), b.loop(c, b.i32(0), b.i32(w.inC), 1, [nest])];
  });
}

/** dx: each dy element spread evenly over the input positions of its window. */
function lowerAvgPoolGrad(ctx: ModuleContext, node: Node): Kernel {
  const attrs = node.attrs as unknown as PoolAttrs & { inputShape: number[] };
  const w = poolWindow(attrs.inputShape, attrs);
  const inBytes = w.batch * w.inH * w.inW * w.inC * 4;
  return poolKernel(ctx, 'avg_pool_grad', 3, (b) => {
    const { mod } = b;
    const lanes = lanesFor(b, w.inC);
    const [g, count, c] = [b.local(lanes.type), b.local(), b.local()];
    const t = tapLocals(b);
    const off = (): ExpressionRef => mod.i32.mul(c.get(), b.i32(4));
    // The count of a window depends on (oh, ow) only; counted by a tap loop without the channels.
    const countTaps = (): ExpressionRef[] => {
      const [kh, kw, ih, iw] = [b.local(), b.local(), b.local(), b.local()];
      const pos = (o: Local, s: number, k: Local, d: number, p: number): ExpressionRef =>
        mod.i32.add(mod.i32.mul(o.get(), b.i32(s)), mod.i32.add(mod.i32.mul(k.get(), b.i32(d)), b.i32(-p)));
      return [
        count.set(b.i32(0)),
        b.loop(kh, b.i32(0), b.i32(w.kH), 1, [
          ih.set(pos(t.oh, w.strideH, kh, w.dilationH, w.padTop)),
          b.loop(kw, b.i32(0), b.i32(w.kW), 1, [
            iw.set(pos(t.ow, w.strideW, kw, w.dilationW, w.padLeft)),
            mod.if(
              mod.i32.and(mod.i32.lt_u(ih.get(), b.i32(w.inH)), mod.i32.lt_u(iw.get(), b.i32(w.inW))),
              b.increment(count, 1),
            ),
          ]),
        ]),
      ];
    };
    const nest = tapNest(b, w, w.batch, t, {
      before: () => [
        ...countTaps(),
        g.set(
          lanes.mul(
            lanes.load(mod.i32.add(outputAt(b, b.param(1), w, t), off())),
            lanes.splat(mod.f32.div(mod.f32.const(1), mod.f32.convert_s.i32(count.get()))),
          ),
        ),
      ],
      valid: () => {
        const dx = (): ExpressionRef => mod.i32.add(inputAt(b, b.param(0), w, t), off());
        return [lanes.store(dx(), lanes.add(lanes.load(dx()), g.get()))];
      },
    });
    return [zeroFill(b, b.param(0), inBytes), b.loop(c, b.i32(0), b.i32(w.inC), lanes.width, [nest])];
  });
}

const windowLowerings: { readonly [K in WindowOp]: (ctx: ModuleContext, node: Node) => Kernel } = {
  conv2d: lowerConv2d,
  conv2dBackpropInput: lowerConv2dBackpropInput,
  conv2dBackpropFilter: lowerConv2dBackpropFilter,
  maxPool: (ctx, node) => lowerPool(ctx, node, 'max'),
  avgPool: (ctx, node) => lowerPool(ctx, node, 'avg'),
  maxPoolGrad: lowerMaxPoolGrad,
  avgPoolGrad: lowerAvgPoolGrad,
};

/** The kernel of a window op (conv2d, pooling and their gradients), or of a fused.conv2d. */
export function lowerWindow(ctx: ModuleContext, node: Node): Kernel {
  if (node.op === 'fused.conv2d') return lowerConv2d(ctx, node);
  return windowLowerings[node.op as WindowOp](ctx, node);
}
