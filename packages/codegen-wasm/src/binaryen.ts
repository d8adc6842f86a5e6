/**
 * @file The only module of Kiln that imports `binaryen`. Binaryen is ESM-only and takes ~0.3 s to
 * load, so it is loaded once, on first use, and shared by every compile.
 */
import type BinaryenNamespace from 'binaryen';

/** The binaryen.js namespace (its default export). */
export type Binaryen = typeof BinaryenNamespace;
/** A Binaryen module under construction. */
export type BinaryenModule = BinaryenNamespace.Module;
/** A reference to a Binaryen expression node. */
export type ExpressionRef = BinaryenNamespace.ExpressionRef;
/** A Binaryen value type (i32, f32, v128, ...). */
export type TypeRef = BinaryenNamespace.Type;

let loading: Promise<Binaryen> | null = null;
let loaded: Binaryen | null = null;

/** Loads binaryen once; later calls return the same instance. */
export function loadBinaryen(): Promise<Binaryen> {
  loading ??= import('binaryen').then((m) => (loaded = m.default));
  return loading;
}

/** Whether binaryen is loaded in this thread. */
export function binaryenLoaded(): boolean {
  return loaded !== null;
}

/** The loaded binaryen instance; throws if `loadBinaryen()` has not finished. */
export function binaryenSync(): Binaryen {
  if (loaded === null) {
    throw new Error(
      "the wasm backend needs binaryen loaded first: `await ready()` from '@kiln-jit/codegen-wasm' (importing 'kiln-jit' does it for you)",
    );
  }
  return loaded;
}
