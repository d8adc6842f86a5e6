/**
 * @file Generates a single-threaded WebAssembly SIMD128 matmul, C = op(A)·op(B), for static shapes.
 *
 * The structure is GotoBLAS/BLIS's: k and n are cut into blocks, each block of op(B) is packed into
 * `nr`-column panels and each block of op(A) into `mr`-row panels, so the micro-kernel always
 * streams unit-stride memory whatever the transposes (a transpose only changes the strides one
 * packing loop reads with). The micro-kernel keeps an mr×nr tile of C in v128 locals; every k step
 * loads nr/4 vectors of B and broadcasts mr elements of A with `v128.load32_splat`. Panels are
 * zero-padded, so tiles cut by the m/n edges run the same loop and only their store is masked.
 * C holds partial sums between k blocks; the epilogue runs on the last one.
 */
import type { Binaryen, BinaryenModule, ExpressionRef } from '../binaryen.ts';
import { mulAdd } from '../fma.ts';
import { FunctionBuilder, type Local, type WasmContext } from '../function-builder.ts';

/** A matmul with static sizes: C[m,n] = op(A)[m,k] · op(B)[k,n]. */
export interface MatmulSpec {
  m: number;
  n: number;
  k: number;
  /** A is stored row-major as [k, m] when true, else [m, k]. */
  transA: boolean;
  /** B is stored row-major as [n, k] when true, else [k, n]. */
  transB: boolean;
  /** Applied to each output before it is stored. */
  epilogue?: MatmulEpilogue;
}

/** Values an epilogue may read. Each read of `acc`, `row` or `col` builds a fresh expression. */
export interface EpilogueInputs {
  /** The accumulated sum: a v128 when lanes = 4, an f32 when lanes = 1. */
  readonly acc: ExpressionRef;
  /** Output row (i32). */
  readonly row: ExpressionRef;
  /** First output column (i32); the value covers columns col .. col+lanes-1. */
  readonly col: ExpressionRef;
  readonly lanes: 1 | 4;
  /** Reads extra i32 param `i` of the kernel (e.g. a bias pointer). */
  param(i: number): ExpressionRef;
  /** The function being built: epilogues add the locals they keep values in to it. */
  readonly builder: FunctionBuilder;
}

/** A per-output transform fused into the store of C (bias, activation, ...). */
export interface MatmulEpilogue {
  /** Extra i32 params appended after the fixed ones (a, b, c, scratch). */
  extraParams: number;
  /**
   * What `apply` computes, as text: matmuls of a module whose micro-kernels would be the same
   * code (same tile, C row length and epilogue) share one, which the engine then optimizes once.
   * Absent: never shared.
   */
  key?: string;
  /** Builds the value stored at C[row, col .. col+lanes-1] from the accumulated sum. */
  apply(e: EpilogueInputs): ExpressionRef;
}

/** Block sizes, in elements. */
export interface MatmulBlocking {
  /** Rows of the register tile. */
  mr: number;
  /** Columns of the register tile; a multiple of 4. */
  nr: number;
  /** Largest k block; k is cut into equal blocks no larger than this. */
  kc: number;
  /** Largest m block (rounded down to a multiple of mr): the packed-A buffer holds mc × kc. */
  mc: number;
  /** Largest n block (rounded down to a multiple of nr): the packed-B buffer holds kc × nc. */
  nc: number;
  /** k steps per micro-kernel loop iteration, written out by the generator. */
  unroll: number;
}

/** Code-generation options. */
export interface MatmulOptions {
  /** Use relaxed-SIMD `f32x4.relaxed_madd` (the module needs Features.RelaxedSIMD; Node 20 needs
   *  --experimental-wasm-relaxed-simd). Off by default; the lowering passes its module's choice. */
  fma?: boolean;
  /** Overrides of the default block sizes (for tuning). */
  blocking?: Partial<MatmulBlocking>;
  /** The function takes two more params after the extras: the rows [lo, hi) of C to compute, or
   *  its columns (threads split a matmul so; no output's sum depends on the split). */
  range?: 'rows' | 'cols';
}

/**
 * Default blocking (mul + add). TurboFan schedules each k step's loads before its arithmetic, so a
 * step keeps mr·nr/4 accumulators, nr/4 B vectors, mr broadcasts and one product live at once, and
 * V8 allocates 15 xmm registers on x64 (xmm15 is its scratch): 4×8 needs 8 + 2 + 4 + 1 = 15.
 * Larger tiles (6×8, 3×12) spill and run ~20% slower; 2×16 fits too and runs the same. unroll = 1
 * because TurboFan unrolls this small loop itself, keeping the steps apart; unrolled by hand, the
 * loads of all steps are hoisted together and spill (unroll = 2 measured ~15% slower).
 * Cache: the B block, kc × nc = 256 × 1024 floats = 1 MiB, stays in the 2 MiB L2 while each 4 KiB
 * A micro-panel (4 × 256) stays in the 48 KiB L1d; kc anywhere from 128 to 512 measured the same.
 * mc only bounds the packed-A buffer (128 × 256 floats = 128 KiB), as A panels are used at once.
 */
export const DEFAULT_BLOCKING: MatmulBlocking = { mr: 4, nr: 8, kc: 256, mc: 128, nc: 1024, unroll: 1 };

/** Default blocking with FMA: no product register, so 3×12 fits (9 + 3 + 3 = 15) and hides the
 *  4-cycle FMA latency better than 4×8's 8 accumulators. */
export const DEFAULT_FMA_BLOCKING: MatmulBlocking = { ...DEFAULT_BLOCKING, mr: 3, nr: 12 };

const FIXED_PARAMS = 4; // a, b, c, scratch
const TILE_FIXED = 10; // pa, pb, c, kc, rows, cols, row, col, flags, tileBuf
const EDGE_FIXED = 7; // tile, c, rows, cols, row, col, flags
const FLAG_LOAD_C = 1; // C already holds the sum over earlier k blocks
const FLAG_LAST = 2; // last k block: apply the epilogue

/** Blocking clamped to the problem, with k blocks of equal size so none is a sliver. */
function resolveBlocking(spec: MatmulSpec, options: MatmulOptions): MatmulBlocking {
  const blk = { ...(options.fma ? DEFAULT_FMA_BLOCKING : DEFAULT_BLOCKING), ...options.blocking };
  if (blk.nr % 4 !== 0 || blk.mr < 1 || blk.unroll < 1 || blk.kc < 1) {
    throw new Error(`matmul blocking: need nr a multiple of 4 and mr, kc, unroll >= 1; got ${JSON.stringify(blk)}`);
  }
  const kBlocks = matmulKBlocks(spec.k, options);
  return {
    ...blk,
    kc: Math.ceil(spec.k / kBlocks),
    mc: Math.min(Math.max(blk.mr, roundDown(blk.mc, blk.mr)), roundUp(spec.m, blk.mr)),
    nc: Math.min(Math.max(blk.nr, roundDown(blk.nc, blk.nr)), roundUp(spec.n, blk.nr)),
  };
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function roundDown(x: number, to: number): number {
  return Math.floor(x / to) * to;
}

/** Byte offsets in scratch: packed B block at 0, then the packed A block, then one edge tile. */
function scratchLayout(blk: MatmulBlocking): { packedA: number; tile: number; total: number } {
  const packedA = roundUp(blk.nc * blk.kc * 4, 16);
  const tile = packedA + roundUp(blk.mc * blk.kc * 4, 16);
  return { packedA, tile, total: tile + blk.mr * blk.nr * 4 };
}

/** Rows and columns of C per register tile: threads split a matmul in whole tiles. */
export function matmulTile(options: MatmulOptions = {}): { rows: number; cols: number } {
  const blk = { ...(options.fma ? DEFAULT_FMA_BLOCKING : DEFAULT_BLOCKING), ...options.blocking };
  return { rows: blk.mr, cols: blk.nr };
}

/**
 * How many k blocks a matmul of inner size k runs in. With one, C is written once per element, by
 * the epilogue's store, so an epilogue input of C's shape may share C's storage (memory-policy.ts).
 */
export function matmulKBlocks(k: number, options: MatmulOptions = {}): number {
  const blk = { ...(options.fma ? DEFAULT_FMA_BLOCKING : DEFAULT_BLOCKING), ...options.blocking };
  return Math.max(1, Math.ceil(k / blk.kc));
}

/** Scratch bytes the kernel needs for packing; the caller reserves them, 16-byte aligned. */
export function matmulScratchBytes(spec: MatmulSpec, options: MatmulOptions = {}): number {
  if (spec.m === 0 || spec.n === 0) return 0;
  return scratchLayout(resolveBlocking(spec, options)).total;
}

/**
 * Adds function `name` with params (a: i32, b: i32, c: i32, scratch: i32, ...extra i32) -> none to
 * `mod`, plus helpers named `name$...`. a, b, c are byte addresses of f32 row-major buffers in the
 * module's memory (16-byte aligned); scratch holds `matmulScratchBytes(spec, options)` bytes. C is
 * fully overwritten; it must not overlap A, B or scratch, since it holds partial sums between k
 * blocks. An epilogue input may be C itself when k is one block (matmulKBlocks): each element is
 * read by the epilogue just before its one store. The module needs Features.SIMD128 (and
 * Features.RelaxedSIMD with `fma`).
 */
export function addMatmulFunction(
  binaryen: Binaryen,
  mod: BinaryenModule,
  name: string,
  spec: MatmulSpec,
  options: MatmulOptions = {},
): void {
  const blk = resolveBlocking(spec, options);
  const g: Gen = {
    binaryen,
    mod,
    name,
    spec,
    blk,
    layouts: operandLayouts(spec, blk),
    fma: options.fma ?? false,
    range: options.range ?? null,
    helpers: { packA: '', packB: '', tile: '', edge: '' },
  };
  if (spec.m === 0 || spec.n === 0) {
    new FunctionBuilder(g, FIXED_PARAMS + extraCount(g) + (g.range ? 2 : 0)).finish(name, mod.nop());
    return;
  }
  // Helpers that would be the same code as another matmul's are that one's (see sharedHelper).
  const micro = JSON.stringify([blk.mr, blk.nr, blk.unroll, g.fma, spec.n, extraCount(g), spec.epilogue?.key ?? null]);
  const alone = spec.epilogue && spec.epilogue.key === undefined;
  g.helpers.packA = sharedHelper(g, 'packA', JSON.stringify(g.layouts.a), (n) => addPackFunction(g, n, g.layouts.a));
  g.helpers.packB = sharedHelper(g, 'packB', JSON.stringify(g.layouts.b), (n) => addPackFunction(g, n, g.layouts.b));
  g.helpers.edge = sharedHelper(g, 'edge', alone ? null : micro, (n) => addEdgeFunction(g, n));
  g.helpers.tile = sharedHelper(g, 'tile', alone ? null : micro, (n) => addTileFunction(g, n));
  addDriverFunction(g);
}

/** The helpers of each module, by kind and key. */
const moduleHelpers = new WeakMap<BinaryenModule, Map<string, string>>();

/**
 * The name of the helper of `kind` that computes what `key` says, added (as `name$kind`) when the
 * module has none yet; a null key always adds one. V8 runs a new function in its baseline compiler
 * (~4x slower here on these kernels) until it has been hot long enough to be optimized; a helper
 * two matmuls share is optimized by the time the second runs.
 */
function sharedHelper(g: Gen, kind: string, key: string | null, add: (name: string) => void): string {
  let helpers = moduleHelpers.get(g.mod);
  if (!helpers) moduleHelpers.set(g.mod, (helpers = new Map()));
  const known = key === null ? undefined : helpers.get(`${kind} ${key}`);
  if (known) return known;
  const name = `${g.name}$${kind}`;
  add(name);
  if (key !== null) helpers.set(`${kind} ${key}`, name);
  return name;
}

interface Gen extends WasmContext {
  binaryen: Binaryen;
  mod: BinaryenModule;
  name: string;
  spec: MatmulSpec;
  blk: MatmulBlocking;
  layouts: { a: PanelLayout; b: PanelLayout };
  readonly fma: boolean;
  range: 'rows' | 'cols' | null;
  /** The names of the helper functions this matmul calls (shared with other matmuls where the same). */
  helpers: { packA: string; packB: string; tile: string; edge: string };
}

function minI32(g: Gen, x: () => ExpressionRef, y: () => ExpressionRef): ExpressionRef {
  return g.mod.select(g.mod.i32.lt_s(x(), y()), x(), y());
}

/** Where lane `l`, step `kk` of a packed operand lives: element l·laneStride + kk·kStride. */
interface PanelLayout {
  /** Lanes per panel: mr for A, nr for B. */
  width: number;
  laneStride: number;
  kStride: number;
}

/**
 * Adds `fnName`(src, dst, size, kc): packs lanes [0, size) × steps [0, kc) of an operand into
 * ceil(size / width) panels of kc × width floats, lane fastest, zero-padding the last panel.
 */
function addPackFunction(g: Gen, fnName: string, layout: PanelLayout): void {
  const { mod } = g;
  const f = new FunctionBuilder(g, 4);
  const [src, dst, size, kc] = range(4).map((i) => f.paramLocal(i)) as [Local, Local, Local, Local];
  const lane0 = f.local(),
    lanes = f.local(),
    s = f.local(),
    dEnd = f.local();
  const w = layout.width;
  const panel = [
    lanes.set(
      minI32(
        g,
        () => mod.i32.const(w),
        () => mod.i32.sub(size.get(), lane0.get()),
      ),
    ),
    s.set(src.get()),
    dEnd.set(mod.i32.add(dst.get(), mod.i32.mul(kc.get(), mod.i32.const(w * 4)))),
    mod.if(
      mod.i32.eq(lanes.get(), mod.i32.const(w)),
      packPanelLoop(g, f, layout, s, dst, dEnd, copyFullStep(g, layout, s, dst)),
      packPanelLoop(g, f, layout, s, dst, dEnd, copyPartialStep(g, layout, s, dst, lanes)),
    ),
    f.increment(src, w * layout.laneStride * 4),
    f.increment(lane0, w),
  ];
  f.finish(
    fnName,
    mod.block(null, [lane0.set(mod.i32.const(0)), f.doWhile(panel, mod.i32.lt_s(lane0.get(), size.get()))]),
  );
}

/** Steps `d` through one panel (to `dEnd`), running `copies` (one k step of all lanes) each time. */
function packPanelLoop(
  g: Gen,
  f: FunctionBuilder,
  layout: PanelLayout,
  s: Local,
  d: Local,
  dEnd: Local,
  copies: ExpressionRef[],
): ExpressionRef {
  return f.whileLoop(
    () => g.mod.i32.lt_u(d.get(), dEnd.get()),
    [...copies, f.increment(s, layout.kStride * 4), f.increment(d, layout.width * 4)],
  );
}

/** Copies `width` consecutive floats from s to d in 16-, 8- and 4-byte pieces. */
function copyContiguous(g: Gen, width: number, s: Local, d: Local): ExpressionRef[] {
  const { mod } = g;
  const out: ExpressionRef[] = [];
  for (let off = 0; off < width * 4;) {
    const left = width * 4 - off;
    if (left >= 16) out.push(mod.v128.store(off, 4, d.get(), mod.v128.load(off, 4, s.get())));
    else if (left >= 8) out.push(mod.i64.store(off, 4, d.get(), mod.i64.load(off, 4, s.get())));
    else out.push(mod.i32.store(off, 4, d.get(), mod.i32.load(off, 4, s.get())));
    off += left >= 16 ? 16 : left >= 8 ? 8 : 4;
  }
  return out;
}

/** One k step of a full panel: a block copy when lanes are adjacent in memory, else a gather. */
function copyFullStep(g: Gen, layout: PanelLayout, s: Local, d: Local): ExpressionRef[] {
  const { mod } = g;
  if (layout.laneStride === 1) return copyContiguous(g, layout.width, s, d);
  return range(layout.width).map((l) =>
    mod.i32.store(l * 4, 4, d.get(), mod.i32.load(l * layout.laneStride * 4, 4, s.get())),
  );
}

/** One k step of the last, partial panel: lanes past `lanes` are not in the operand (reading them
 *  could run off the end of memory), so they are zero-filled instead. */
function copyPartialStep(g: Gen, layout: PanelLayout, s: Local, d: Local, lanes: Local): ExpressionRef[] {
  const { mod } = g;
  return range(layout.width).map((l) =>
    mod.i32.store(
      l * 4,
      4,
      d.get(),
      mod.if(
        mod.i32.lt_s(mod.i32.const(l), lanes.get()),
        mod.i32.load(l * layout.laneStride * 4, 4, s.get()),
        mod.i32.const(0),
      ),
    ),
  );
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The locals the micro-kernel's k loop works on. */
interface TileRegs {
  /** acc[r][v] holds C[row + r, col + 4v .. col + 4v + 3]. */
  acc: Local[][];
  /** The nr / 4 vectors of the current B row. */
  bv: Local[];
  /** The broadcast A element. */
  a: Local;
  pa: Local;
  pb: Local;
}

/**
 * Adds `name$tile`(pa, pb, c, kc, rows, cols, row, col, flags, tileBuf, ...extra), the micro-kernel:
 * multiplies an A panel (mr rows) by a B panel (nr columns) over kc steps in v128 accumulators, then
 * stores them to C, or for a tile cut by the m/n edge spills them to tileBuf for `name$edge`.
 */
function addTileFunction(g: Gen, name: string): void {
  const { mod, binaryen: b, blk } = g;
  const f = new FunctionBuilder(g, TILE_FIXED + extraCount(g));
  const [pa, pb, c, kc, rows, cols, row, col, flags, tileBuf] = range(TILE_FIXED).map((i) => f.paramLocal(i));
  const nv = blk.nr / 4;
  const t: TileRegs = {
    acc: range(blk.mr).map(() => range(nv).map(() => f.local(b.v128))),
    bv: range(nv).map(() => f.local(b.v128)),
    a: f.local(b.v128),
    pa,
    pb,
  };
  const full = f.local(),
    paEnd = f.local();
  const flag = (bit: number) => mod.i32.and(flags.get(), mod.i32.const(bit));
  const at = { c, row, col };
  const isFull = mod.i32.and(
    mod.i32.eq(rows.get(), mod.i32.const(blk.mr)),
    mod.i32.eq(cols.get(), mod.i32.const(blk.nr)),
  );
  const extras = range(extraCount(g)).map((i) => f.paramLocal(TILE_FIXED + i));
  const edgeArgs = [tileBuf, c, rows, cols, row, col, flags, ...extras];
  f.finish(
    name,
    mod.block(null, [
      full.set(isFull),
      // Only a full tile may read C: an edge tile's rectangle runs past the end of C's rows.
      mod.if(
        mod.i32.and(full.get(), flag(FLAG_LOAD_C)),
        mod.block(null, loadTile(g, t, c)),
        mod.block(null, zeroTile(g, t)),
      ),
      ...kLoop(g, f, t, kc, paEnd),
      mod.if(
        full.get(),
        g.spec.epilogue
          ? mod.if(flag(FLAG_LAST), storeTile(g, f, t, at, true), storeTile(g, f, t, at, false))
          : storeTile(g, f, t, at, false),
        mod.block(null, [
          ...spillTile(g, t, tileBuf),
          mod.call(
            g.helpers.edge,
            edgeArgs.map((p) => p.get()),
            b.none,
          ),
        ]),
      ),
    ]),
  );
}

function extraCount(g: Gen): number {
  return g.spec.epilogue?.extraParams ?? 0;
}

/**
 * The k loop: `unroll` steps per iteration with the step offsets folded into the load immediates,
 * so each iteration bumps two pointers once; then single steps for kc mod unroll.
 */
function kLoop(g: Gen, f: FunctionBuilder, t: TileRegs, kc: Local, paEnd: Local): ExpressionRef[] {
  const { mod, blk } = g;
  const loopUntil = (steps: number, count: ExpressionRef) => [
    paEnd.set(mod.i32.add(t.pa.get(), mod.i32.mul(count, mod.i32.const(blk.mr * 4)))),
    f.whileLoop(
      () => mod.i32.lt_u(t.pa.get(), paEnd.get()),
      [
        ...range(steps).flatMap((u) => kStep(g, t, u)),
        f.increment(t.pa, steps * blk.mr * 4),
        f.increment(t.pb, steps * blk.nr * 4),
      ],
    ),
  ];
  if (blk.unroll === 1) return loopUntil(1, kc.get());
  const tail = () => mod.i32.rem_u(kc.get(), mod.i32.const(blk.unroll));
  return [...loopUntil(blk.unroll, mod.i32.sub(kc.get(), tail())), ...loopUntil(1, tail())];
}

/** One k step (u steps past the pointers): acc[r][v] += B[k, 4v..4v+3] · A[row + r, k]. */
function kStep(g: Gen, t: TileRegs, u: number): ExpressionRef[] {
  const { mod, blk } = g;
  const out = t.bv.map((bv, v) => bv.set(mod.v128.load(u * blk.nr * 4 + v * 16, 16, t.pb.get())));
  t.acc.forEach((accRow, r) => {
    out.push(t.a.set(mod.v128.load32_splat(u * blk.mr * 4 + r * 4, 4, t.pa.get())));
    accRow.forEach((acc, v) => out.push(acc.set(mulAdd(g, t.bv[v]!.get(), t.a.get(), acc.get()))));
  });
  return out;
}

function zeroTile(g: Gen, t: TileRegs): ExpressionRef[] {
  return t.acc.flat().map((acc) => acc.set(g.mod.v128.const(new Array<number>(16).fill(0))));
}

/** C's byte offset of acc[r][v] from the tile's corner. */
function cOffset(g: Gen, r: number, v: number): number {
  return (r * g.spec.n + v * 4) * 4;
}

function loadTile(g: Gen, t: TileRegs, c: Local): ExpressionRef[] {
  return t.acc.flatMap((accRow, r) => accRow.map((acc, v) => acc.set(g.mod.v128.load(cOffset(g, r, v), 4, c.get()))));
}

/** Stores every accumulator to C, through the epilogue when `withEpilogue`. */
function storeTile(
  g: Gen,
  f: FunctionBuilder,
  t: TileRegs,
  at: { c: Local; row: Local; col: Local },
  withEpilogue: boolean,
): ExpressionRef {
  const { mod } = g;
  const stores = t.acc.flatMap((accRow, r) =>
    accRow.map((acc, v) => {
      const value = withEpilogue
        ? applyEpilogue(
            g,
            f,
            TILE_FIXED,
            acc,
            () => mod.i32.add(at.row.get(), mod.i32.const(r)),
            () => mod.i32.add(at.col.get(), mod.i32.const(v * 4)),
            4,
          )
        : acc.get();
      return mod.v128.store(cOffset(g, r, v), 4, at.c.get(), value);
    }),
  );
  return mod.block(null, stores);
}

/** Calls the spec's epilogue with fresh-expression getters for the value and its position. */
function applyEpilogue(
  g: Gen,
  f: FunctionBuilder,
  fixedParams: number,
  acc: Local,
  row: () => ExpressionRef,
  col: () => ExpressionRef,
  lanes: 1 | 4,
): ExpressionRef {
  return g.spec.epilogue!.apply({
    get acc() {
      return acc.get();
    },
    get row() {
      return row();
    },
    get col() {
      return col();
    },
    lanes,
    param: (i) => {
      if (!(i >= 0 && i < extraCount(g))) {
        throw new Error(`matmul epilogue: param(${i}) read, but extraParams is ${extraCount(g)}`);
      }
      return f.paramLocal(fixedParams + i).get();
    },
    builder: f,
  });
}

/** Writes the accumulators to tileBuf as an mr × nr row-major tile. */
function spillTile(g: Gen, t: TileRegs, tileBuf: Local): ExpressionRef[] {
  const { nr } = g.blk;
  return t.acc.flatMap((accRow, r) =>
    accRow.map((acc, v) => g.mod.v128.store((r * nr + v * 4) * 4, 16, tileBuf.get(), acc.get())),
  );
}

/**
 * Adds `name$edge`(tile, c, rows, cols, row, col, flags, ...extra): stores the rows × cols corner
 * of a spilled tile to C one float at a time (edge tiles are a vanishing share of the work).
 */
function addEdgeFunction(g: Gen, name: string): void {
  const { mod, binaryen: b, blk, spec } = g;
  const f = new FunctionBuilder(g, EDGE_FIXED + extraCount(g));
  const [tile, c, rows, cols, row, col, flags] = range(EDGE_FIXED).map((i) => f.paramLocal(i));
  const r = f.local(),
    cc = f.local(),
    value = f.local(b.f32);
  const flag = (bit: number) => mod.i32.and(flags.get(), mod.i32.const(bit));
  const elementAddr = (base: Local, rowLength: number) =>
    mod.i32.add(
      base.get(),
      mod.i32.shl(mod.i32.add(mod.i32.mul(r.get(), mod.i32.const(rowLength)), cc.get()), mod.i32.const(2)),
    );
  const cAddr = () => elementAddr(c, spec.n);
  const tAddr = () => elementAddr(tile, blk.nr);
  const epilogue = spec.epilogue
    ? [
        mod.if(
          flag(FLAG_LAST),
          value.set(
            applyEpilogue(
              g,
              f,
              EDGE_FIXED,
              value,
              () => mod.i32.add(row.get(), r.get()),
              () => mod.i32.add(col.get(), cc.get()),
              1,
            ),
          ),
        ),
      ]
    : [];
  const element = [
    value.set(mod.f32.load(0, 4, tAddr())),
    mod.if(flag(FLAG_LOAD_C), value.set(mod.f32.add(value.get(), mod.f32.load(0, 4, cAddr())))),
    ...epilogue,
    mod.f32.store(0, 4, cAddr(), value.get()),
    f.increment(cc, 1),
  ];
  const rowBody = [cc.set(mod.i32.const(0)), f.doWhile(element, mod.i32.lt_s(cc.get(), cols.get())), f.increment(r, 1)];
  f.finish(name, mod.block(null, [r.set(mod.i32.const(0)), f.doWhile(rowBody, mod.i32.lt_s(r.get(), rows.get()))]));
}

/** Panel layouts of op(A) (lanes are rows of C) and op(B) (lanes are columns of C). */
function operandLayouts(spec: MatmulSpec, blk: MatmulBlocking): { a: PanelLayout; b: PanelLayout } {
  return {
    a: spec.transA
      ? { width: blk.mr, laneStride: 1, kStride: spec.m }
      : { width: blk.mr, laneStride: spec.k, kStride: 1 },
    b: spec.transB
      ? { width: blk.nr, laneStride: spec.k, kStride: 1 }
      : { width: blk.nr, laneStride: 1, kStride: spec.n },
  };
}

/** The driver's loop counters and block extents. */
interface DriverVars {
  jc: Local;
  pc: Local;
  ic: Local;
  jr: Local;
  ir: Local;
  nCur: Local;
  kCur: Local;
  mCur: Local;
  flags: Local;
  packedA: Local;
  packedB: Local;
  tileBuf: Local;
}

/**
 * Adds `name`(a, b, c, scratch, ...extra), five loops: n blocks (nc) › k blocks (kc, pack B) › m
 * blocks (mc, pack A) › mr rows › nr columns. An A micro-panel stays in L1 while the nr loop sweeps
 * the packed B block from L2 and writes C along its rows. (BLIS swaps the two inner loops; with C
 * rows 4 KiB apart that order walks one L1 set down a column of C and measured ~10% slower.)
 */
function addDriverFunction(g: Gen): void {
  const { mod, spec, blk } = g;
  const f = new FunctionBuilder(g, FIXED_PARAMS + extraCount(g) + (g.range ? 2 : 0));
  const scratch = f.paramLocal(3);
  // The rows (or columns) of C to compute: [lo, hi) when given, else all.
  const lo = () => f.param(FIXED_PARAMS + extraCount(g));
  const hi = () => f.param(FIXED_PARAMS + extraCount(g) + 1);
  const m1 = () => (g.range === 'rows' ? hi() : mod.i32.const(spec.m));
  const n1 = () => (g.range === 'cols' ? hi() : mod.i32.const(spec.n));
  const v: DriverVars = {
    jc: f.local(),
    pc: f.local(),
    ic: f.local(),
    jr: f.local(),
    ir: f.local(),
    nCur: f.local(),
    kCur: f.local(),
    mCur: f.local(),
    flags: f.local(),
    packedA: f.local(),
    packedB: f.local(),
    tileBuf: f.local(),
  };
  const layout = scratchLayout(blk);
  const counted = (i: Local, step: number, bound: () => ExpressionRef, body: ExpressionRef[]) => [
    i.set(mod.i32.const(0)),
    f.doWhile([...body, f.increment(i, step)], mod.i32.lt_s(i.get(), bound())),
  ];
  const cnst = (x: number) => () => mod.i32.const(x);
  /** i over [lo, hi) by step: a loop that may run no times. */
  const ranged = (i: Local, step: number, bound: () => ExpressionRef, body: ExpressionRef[]) => [
    i.set(lo()),
    mod.if(mod.i32.lt_s(i.get(), bound()), f.doWhile([...body, f.increment(i, step)], mod.i32.lt_s(i.get(), bound()))),
  ];
  const mBody = [
    v.mCur.set(minI32(g, cnst(blk.mc), () => mod.i32.sub(m1(), v.ic.get()))),
    packCall(g, f, 'A', v, v.ic, v.mCur),
    ...counted(
      v.ir,
      blk.mr,
      () => v.mCur.get(),
      counted(v.jr, blk.nr, () => v.nCur.get(), [tileCall(g, f, v)]),
    ),
  ];
  const mBlock = (g.range === 'rows' ? ranged : counted)(v.ic, blk.mc, m1, mBody);
  const kBlock = counted(v.pc, blk.kc, cnst(spec.k), [
    v.kCur.set(minI32(g, cnst(blk.kc), () => mod.i32.sub(mod.i32.const(spec.k), v.pc.get()))),
    v.flags.set(kBlockFlags(g, v)),
    packCall(g, f, 'B', v, v.jc, v.nCur),
    ...mBlock,
  ]);
  f.finish(
    g.name,
    mod.block(null, [
      v.packedB.set(scratch.get()),
      v.packedA.set(mod.i32.add(scratch.get(), mod.i32.const(layout.packedA))),
      v.tileBuf.set(mod.i32.add(scratch.get(), mod.i32.const(layout.tile))),
      ...(g.range === 'cols' ? ranged : counted)(v.jc, blk.nc, n1, [
        v.nCur.set(minI32(g, cnst(blk.nc), () => mod.i32.sub(n1(), v.jc.get()))),
        ...kBlock,
      ]),
    ]),
  );
}

/** FLAG_LOAD_C after the first k block, FLAG_LAST on the last one (both when k is one block). */
function kBlockFlags(g: Gen, v: DriverVars): ExpressionRef {
  const { mod } = g;
  const flagIf = (cond: ExpressionRef, bit: number) => mod.select(cond, mod.i32.const(bit), mod.i32.const(0));
  return mod.i32.or(
    flagIf(mod.i32.gt_s(v.pc.get(), mod.i32.const(0)), FLAG_LOAD_C),
    flagIf(mod.i32.ge_s(mod.i32.add(v.pc.get(), v.kCur.get()), mod.i32.const(g.spec.k)), FLAG_LAST),
  );
}

/** Packs the block of operand `which` whose lanes start at `lane0` (and k at pc), `lanes` wide. */
function packCall(
  g: Gen,
  f: FunctionBuilder,
  which: 'A' | 'B',
  v: DriverVars,
  lane0: Local,
  lanes: Local,
): ExpressionRef {
  const { mod } = g;
  const layout = which === 'A' ? g.layouts.a : g.layouts.b;
  const origin = mod.i32.add(
    mod.i32.mul(lane0.get(), mod.i32.const(layout.laneStride * 4)),
    mod.i32.mul(v.pc.get(), mod.i32.const(layout.kStride * 4)),
  );
  const src = mod.i32.add(f.paramLocal(which === 'A' ? 0 : 1).get(), origin);
  const dst = (which === 'A' ? v.packedA : v.packedB).get();
  return mod.call(g.helpers[`pack${which}`], [src, dst, lanes.get(), v.kCur.get()], g.binaryen.none);
}

/** Calls the micro-kernel on the tile at (ic + ir, jc + jr). */
function tileCall(g: Gen, f: FunctionBuilder, v: DriverVars): ExpressionRef {
  const { mod, blk, spec } = g;
  const row = () => mod.i32.add(v.ic.get(), v.ir.get());
  const col = () => mod.i32.add(v.jc.get(), v.jr.get());
  const panelOffset = (i: Local) => mod.i32.shl(mod.i32.mul(i.get(), v.kCur.get()), mod.i32.const(2));
  const cAddr = mod.i32.add(
    f.paramLocal(2).get(),
    mod.i32.shl(mod.i32.add(mod.i32.mul(row(), mod.i32.const(spec.n)), col()), mod.i32.const(2)),
  );
  const args = [
    mod.i32.add(v.packedA.get(), panelOffset(v.ir)),
    mod.i32.add(v.packedB.get(), panelOffset(v.jr)),
    cAddr,
    v.kCur.get(),
    minI32(
      g,
      () => mod.i32.const(blk.mr),
      () => mod.i32.sub(v.mCur.get(), v.ir.get()),
    ),
    minI32(
      g,
      () => mod.i32.const(blk.nr),
      () => mod.i32.sub(v.nCur.get(), v.jr.get()),
    ),
    row(),
    col(),
    v.flags.get(),
    v.tileBuf.get(),
    ...range(extraCount(g)).map((i) => f.paramLocal(FIXED_PARAMS + i).get()),
  ];
  return mod.call(g.helpers.tile, args, g.binaryen.none);
}
