/**
 * @file What all kernels of one module share: the Binaryen module, unique function names, and
 * the JavaScript helpers imported for the few ops WebAssembly cannot do lane by lane (integer
 * division, floor modulo, pow) and for `print`.
 */
import type { Binaryen, BinaryenModule } from '../binaryen.ts';
import type { Node } from '@kiln-jit/tracer';
import type { FunctionBuilder } from '../function-builder.ts';
import type { CodegenOptions } from '../codegen-options.ts';

/** Scalar helpers the module may import from the `kiln` namespace, all (f64, f64) -> f64. */
export const SCALAR_IMPORTS = ['pow', 'floorMod', 'intPow', 'intFloorDiv', 'intFloorMod'] as const;
export type ScalarImport = (typeof SCALAR_IMPORTS)[number];

export class ModuleContext {
  private readonly imported = new Set<string>();
  private names = 0;
  /** Nodes that print, by the index the print import receives. */
  readonly printed: Node[] = [];
  /** Nodes that can stop a call, by the code the fail import receives. */
  readonly failingNodes: Node[] = [];
  /** Calls to JavaScript emitted so far: a kernel that makes any runs on one thread only. */
  importUses = 0;

  constructor(
    readonly binaryen: Binaryen,
    readonly mod: BinaryenModule,
    readonly options: CodegenOptions = { relaxedSimd: false, threads: false, minParallelWork: Infinity },
  ) {}

  private nested = 0;

  /** Kernels may use relaxed-SIMD FMA (see useRelaxedSimd); fixed per module. */
  get fma(): boolean {
    return this.options.relaxedSimd;
  }

  /** Whether a kernel doing `work` steps is worth splitting across threads. */
  splits(work: number): boolean {
    return this.nested === 0 && this.options.threads && work >= this.options.minParallelWork;
  }

  /** Lowers kernels that another kernel calls (unfused bodies, regions): they are never split. */
  inside<T>(lower: () => T): T {
    this.nested++;
    try {
      return lower();
    } finally {
      this.nested--;
    }
  }

  /** A function name not used before in this module. */
  uniqueName(prefix: string): string {
    return `${prefix}_${this.names++}`;
  }

  /** The internal name of an imported scalar helper, adding the import on first use. */
  scalarImport(name: ScalarImport): string {
    this.importUses++;
    const internal = `import_${name}`;
    if (!this.imported.has(internal)) {
      const f64 = this.binaryen.f64;
      this.mod.addFunctionImport(internal, 'kiln', name, this.binaryen.createType([f64, f64]), f64);
      this.imported.add(internal);
    }
    return internal;
  }

  /** The internal name of the `fail(opCode, index, limit)` import, called before a trap. */
  failImport(): string {
    this.importUses++;
    const internal = 'import_fail';
    if (!this.imported.has(internal)) {
      const i32 = this.binaryen.i32;
      this.mod.addFunctionImport(
        internal,
        'kiln',
        'fail',
        this.binaryen.createType([i32, i32, i32]),
        this.binaryen.none,
      );
      this.imported.add(internal);
    }
    return internal;
  }

  /** The code `node` passes to the fail import, so the error can name its op and source line. */
  failCode(node: Node): number {
    if (!this.failingNodes.includes(node)) this.failingNodes.push(node);
    return this.failingNodes.indexOf(node);
  }

  printIndex(node: Node): number {
    this.printed.push(node);
    return this.printed.length - 1;
  }

  /** The internal name of the `print(index, address)` import. */
  printImport(): string {
    this.importUses++;
    const internal = 'import_print';
    if (!this.imported.has(internal)) {
      const i32 = this.binaryen.i32;
      this.mod.addFunctionImport(internal, 'kiln', 'print', this.binaryen.createType([i32, i32]), this.binaryen.none);
      this.imported.add(internal);
    }
    return internal;
  }
}

/** The builder of a kernel function: a FunctionBuilder that also reaches the module's imports. */
export type KernelBuilder = FunctionBuilder<ModuleContext>;
