/**
 * @file The one builder of WebAssembly functions that kernels, the SIMD math approximations and
 * the matmul generator share: params, typed locals, counted and conditional loops, splat
 * constants, and value blocks that evaluate sub-expressions once into locals. Everything is
 * bottom-up Binaryen expressions; `finish` adds the function to the module.
 */
import type { Binaryen, BinaryenModule, ExpressionRef, TypeRef } from './binaryen.ts';

/** The constant globals already in each module, by name. */
const moduleGlobals = new WeakMap<BinaryenModule, Set<string>>();

/** The name of a mutable v128 global of the module holding `bytes`, added on first use. */
function vectorGlobal(mod: BinaryenModule, binaryen: Binaryen, bytes: Uint8Array): string {
  const name = `v128_${Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('')}`;
  let names = moduleGlobals.get(mod);
  if (!names) moduleGlobals.set(mod, (names = new Set()));
  if (!names.has(name)) {
    mod.addGlobal(name, binaryen.v128, true, mod.v128.const(bytes));
    names.add(name);
  }
  return name;
}

/** What a builder needs of the module it adds functions to (a ModuleContext has more). */
export interface WasmContext {
  readonly binaryen: Binaryen;
  readonly mod: BinaryenModule;
  /** Multiply-adds may be relaxed-SIMD FMAs (fma.ts); the module enables Features.RelaxedSIMD. */
  readonly fma?: boolean;
}

/** A value held in a local: each call emits a fresh `local.get`, so it may be used many times. */
export type Vec = () => ExpressionRef;

/** A param or local of the function being built, with its type. */
export class Local {
  constructor(
    private readonly mod: BinaryenModule,
    readonly index: number,
    readonly type: TypeRef,
  ) {}

  get(): ExpressionRef {
    return this.mod.local.get(this.index, this.type);
  }

  set(value: ExpressionRef): ExpressionRef {
    return this.mod.local.set(this.index, value);
  }
}

export class FunctionBuilder<C extends WasmContext = WasmContext> {
  readonly binaryen: Binaryen;
  readonly mod: BinaryenModule;
  private readonly paramTypes: readonly TypeRef[];
  private readonly localTypes: TypeRef[] = [];
  private labels = 0;
  /** The local.sets of the value blocks being built, innermost last (see `valueBlock`). */
  private readonly held: ExpressionRef[][] = [];
  /** The pooled v128 constants by their bytes, and the statements that set them (`finish`). */
  private readonly constants = new Map<string, Local>();
  private readonly constantSets: ExpressionRef[] = [];

  /**
   * @param params the param count (all i32: kernels take byte addresses) or the param types.
   * @param host a builder whose function this code goes into (a matmul epilogue is emitted inside
   *   the matmul generator's functions): locals are added there, not to a function of our own.
   */
  constructor(
    readonly module: C,
    params: number | readonly TypeRef[] = 0,
    private readonly host?: FunctionBuilder<WasmContext>,
  ) {
    this.binaryen = module.binaryen;
    this.mod = module.mod;
    this.paramTypes = typeof params === 'number' ? new Array<TypeRef>(params).fill(module.binaryen.i32) : params;
  }

  /** Reads i32 param `i`. */
  param(i: number): ExpressionRef {
    return this.paramLocal(i).get();
  }

  /** Param `i` as a local (params can be updated like locals). */
  paramLocal(i: number): Local {
    return new Local(this.mod, i, this.paramTypes[i]!);
  }

  /** A fresh local of `type` (i32 by default). */
  local(type: TypeRef = this.binaryen.i32): Local {
    if (this.host) return this.host.local(type);
    this.localTypes.push(type);
    return new Local(this.mod, this.paramTypes.length + this.localTypes.length - 1, type);
  }

  /** Stores `value` in a new local: the set statement, and a getter to read it. */
  keep(value: ExpressionRef, type: TypeRef = this.binaryen.v128): [ExpressionRef, Vec] {
    const local = this.local(type);
    return [local.set(value), () => local.get()];
  }

  /**
   * A block of `type` whose value is `build()`'s result, preceded by the sets of every `hold` made
   * while building it: an expression that computes its sub-expressions once each.
   */
  valueBlock(type: TypeRef, build: () => ExpressionRef): ExpressionRef {
    const sets: ExpressionRef[] = [];
    this.held.push(sets);
    try {
      const result = build();
      return this.mod.block(null, [...sets, result], type);
    } finally {
      this.held.pop();
    }
  }

  /** Evaluates `value` once into a fresh local of the innermost value block; returns its getter. */
  hold(value: ExpressionRef, type: TypeRef = this.binaryen.v128): Vec {
    const sets = this.held.at(-1);
    if (!sets) throw new Error('codegen-wasm: hold() outside a valueBlock');
    const [set, get] = this.keep(value, type);
    sets.push(set);
    return get;
  }

  i32(n: number): ExpressionRef {
    return this.mod.i32.const(n | 0);
  }

  /** base + offset (bytes), folding a zero offset away. */
  addr(base: ExpressionRef, offset: number | ExpressionRef): ExpressionRef {
    if (typeof offset === 'number') return offset === 0 ? base : this.mod.i32.add(base, this.i32(offset));
    return this.mod.i32.add(base, offset);
  }

  /** `local += delta` for an i32 local. */
  increment(local: Local, delta: number): ExpressionRef {
    return local.set(this.mod.i32.add(local.get(), this.mod.i32.const(delta)));
  }

  /** `x` (rounded to f32) in every lane. */
  f32x4(x: number): ExpressionRef {
    return this.vectorConstant(new Uint8Array(new Float32Array(4).fill(x).buffer));
  }

  /** `x` in every i32 lane (also bool masks: -1 for true). */
  i32x4(x: number): ExpressionRef {
    return this.vectorConstant(new Uint8Array(new Int32Array(4).fill(x).buffer));
  }

  /**
   * A v128 constant, read from a local that `finish` sets at the function's start from a mutable
   * global holding it. V8 (TurboFan, Node 20) builds a v128.const, or a splat of a constant, inside
   * the loop that uses it, on every iteration: two or three instructions each, and an exp has a
   * dozen constants, more than its arithmetic. A global's value it cannot fold, so the constant is
   * read once and stays in a register (or is one load from the stack).
   */
  private vectorConstant(bytes: Uint8Array): ExpressionRef {
    // Zero is one xor in V8, cheaper than holding it.
    if (bytes.every((x) => x === 0)) return this.mod.v128.const(bytes);
    if (this.host) return this.host.vectorConstant(bytes);
    const key = bytes.join(',');
    let local = this.constants.get(key);
    if (!local) {
      local = this.local(this.binaryen.v128);
      this.constants.set(key, local);
      this.constantSets.push(
        local.set(this.mod.global.get(vectorGlobal(this.mod, this.binaryen, bytes), this.binaryen.v128)),
      );
    }
    return local.get();
  }

  /** `for (counter = start; counter < end; counter += step) body` (signed compare). */
  loop(counter: Local, start: ExpressionRef, end: ExpressionRef, step: number, body: ExpressionRef[]): ExpressionRef {
    const { mod } = this;
    const id = this.labels++;
    const exit = `exit${id}`;
    const next = `next${id}`;
    return mod.block(null, [
      counter.set(start),
      mod.block(exit, [
        mod.loop(
          next,
          mod.block(null, [
            mod.br(exit, mod.i32.ge_s(counter.get(), end)),
            ...body,
            this.increment(counter, step),
            mod.br(next),
          ]),
        ),
      ]),
    ]);
  }

  /** `body` repeated while `cond` holds, tested first (so zero iterations are possible). */
  whileLoop(cond: () => ExpressionRef, body: ExpressionRef[]): ExpressionRef {
    const { mod } = this;
    const label = `L${this.labels++}`;
    return mod.if(cond(), mod.loop(label, mod.block(null, [...body, mod.br(label, cond())])));
  }

  /** `body` run once, then again while `cond` holds. */
  doWhile(body: ExpressionRef[], cond: ExpressionRef): ExpressionRef {
    const { mod } = this;
    const label = `L${this.labels++}`;
    return mod.loop(label, mod.block(null, [...body, mod.br(label, cond)]));
  }

  /** Adds the function to the module: a list of statements becomes a block; no result unless given. */
  finish(name: string, body: ExpressionRef | readonly ExpressionRef[], result: TypeRef = this.binaryen.none): void {
    const { binaryen, mod } = this;
    let code = Array.isArray(body) ? mod.block(null, body.length ? [...body] : [mod.nop()]) : (body as ExpressionRef);
    if (this.constantSets.length) code = mod.block(null, [...this.constantSets, code], result);
    mod.addFunction(name, binaryen.createType([...this.paramTypes]), result, this.localTypes, code);
  }
}
