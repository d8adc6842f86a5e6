/**
 * @file Building one kernel function: i32 pointer params, locals on demand, counted loops, and
 * the constants and idioms every emitter uses. Everything is bottom-up Binaryen expressions.
 */
import type { Binaryen, BinaryenModule, ExpressionRef, TypeRef } from '../binaryen.ts';
import type { SimdMathContext } from '../simd-math.ts';
import type { ModuleContext } from './module-context.ts';

/** A value held in a local: each call makes a fresh `local.get`, so it can be used many times. */
export type Vec = () => ExpressionRef;

export class KernelBuilder implements SimdMathContext {
  private readonly localTypes: TypeRef[] = [];
  private labels = 0;
  readonly binaryen: Binaryen;
  readonly mod: BinaryenModule;

  /**
   * @param allocate adds a local to a function someone else is building (a matmul epilogue runs
   *   inside the matmul generator's functions); by default locals belong to this builder.
   */
  constructor(
    readonly module: ModuleContext,
    readonly paramCount: number,
    private readonly allocate?: (type: TypeRef) => number,
  ) {
    this.binaryen = module.binaryen;
    this.mod = module.mod;
  }

  /** Reads i32 param `i`. */
  param(i: number): ExpressionRef {
    return this.mod.local.get(i, this.binaryen.i32);
  }

  /** A fresh local of `type`; returns its index. */
  local(type: TypeRef): number {
    if (this.allocate) return this.allocate(type);
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  tempV128(): number {
    return this.local(this.binaryen.v128);
  }

  get(index: number, type: TypeRef): ExpressionRef {
    return this.mod.local.get(index, type);
  }

  set(index: number, value: ExpressionRef): ExpressionRef {
    return this.mod.local.set(index, value);
  }

  /** Stores `value` in a new local and returns a getter for it, plus the set statement. */
  keep(value: ExpressionRef, type: TypeRef = this.binaryen.v128): [ExpressionRef, Vec] {
    const index = this.local(type);
    return [this.set(index, value), () => this.get(index, type)];
  }

  i32(n: number): ExpressionRef {
    return this.mod.i32.const(n | 0);
  }

  /** base + offset (bytes), folding a zero offset away. */
  addr(base: ExpressionRef, offset: number | ExpressionRef): ExpressionRef {
    if (typeof offset === 'number') return offset === 0 ? base : this.mod.i32.add(base, this.i32(offset));
    return this.mod.i32.add(base, offset);
  }

  /** Four equal f32 lanes. */
  f32x4(x: number): ExpressionRef {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 4; i++) view.setFloat32(i * 4, x, true);
    return this.mod.v128.const(bytes);
  }

  /** Four equal i32 lanes (also bool masks: -1 for true). */
  i32x4(x: number): ExpressionRef {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 4; i++) view.setInt32(i * 4, x, true);
    return this.mod.v128.const(bytes);
  }

  /** `for (counter = start; counter < end; counter += step) body` */
  loop(counter: number, start: ExpressionRef, end: ExpressionRef, step: number, body: ExpressionRef[]): ExpressionRef {
    const { mod } = this;
    const id = this.labels++;
    const i32 = this.binaryen.i32;
    const exit = `exit${id}`;
    const next = `next${id}`;
    return mod.block(null, [
      this.set(counter, start),
      mod.block(exit, [
        mod.loop(
          next,
          mod.block(null, [
            mod.br(exit, mod.i32.ge_s(this.get(counter, i32), end)),
            ...body,
            this.set(counter, mod.i32.add(this.get(counter, i32), this.i32(step))),
            mod.br(next),
          ]),
        ),
      ]),
    ]);
  }

  /** Adds the function to the module: `paramCount` i32 params, no result. */
  finish(name: string, body: ExpressionRef[]): void {
    const { binaryen, mod } = this;
    const params = binaryen.createType(new Array(this.paramCount).fill(binaryen.i32));
    mod.addFunction(name, params, binaryen.none, this.localTypes, mod.block(null, body.length ? body : [mod.nop()]));
  }
}
