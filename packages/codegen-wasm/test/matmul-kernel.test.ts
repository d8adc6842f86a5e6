import { beforeAll, describe, expect, it } from '@jest/globals';
import { loadBinaryen, type Binaryen, type BinaryenModule } from '../src/binaryen.ts';
import {
  addMatmulFunction,
  matmulScratchBytes,
  type MatmulEpilogue,
  type MatmulOptions,
  type MatmulSpec,
} from '../src/kernels/matmul.ts';
import { enableRelaxedSimd } from './relaxed-engine.ts';

let binaryen: Binaryen;
beforeAll(async () => {
  binaryen = await loadBinaryen();
});

/** C = relu(A·B + bias[col]); param 0 is the bias pointer. */
const biasRelu = (mod: BinaryenModule): MatmulEpilogue => ({
  extraParams: 1,
  apply(e) {
    const biasAddr = mod.i32.add(e.param(0), mod.i32.shl(e.col, mod.i32.const(2)));
    if (e.lanes === 4) {
      const zero = mod.v128.const(new Array<number>(16).fill(0));
      return mod.f32x4.max(mod.f32x4.add(e.acc, mod.v128.load(0, 4, biasAddr)), zero);
    }
    return mod.f32.max(mod.f32.add(e.acc, mod.f32.load(0, 4, biasAddr)), mod.f32.const(0));
  },
});

/** What a test multiplies: the spec minus the epilogue, which needs the module to build. */
type Problem = Omit<MatmulSpec, 'epilogue'>;

/** Deterministic inputs in [-1, 1). */
function seededValues(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** op(A)·op(B) (+ bias, relu when `bias` is given) in float64, as a plain triple loop. */
function reference(spec: Problem, a: Float32Array, b: Float32Array, bias?: Float32Array): Float64Array {
  const { m, n, k } = spec;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        sum += a[spec.transA ? p * m + i : i * k + p]! * b[spec.transB ? j * k + p : p * n + j]!;
      }
      out[i * n + j] = bias ? Math.max(sum + bias[j]!, 0) : sum;
    }
  }
  return out;
}

/** Builds, validates, optimizes and runs the kernel (with the bias epilogue when `bias` is given). */
async function runKernel(
  problem: Problem,
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | undefined,
  options: MatmulOptions,
): Promise<Float32Array> {
  const { m, n, k } = problem;
  const aligned = (floats: number) => Math.ceil(floats / 4) * 16;
  const at = { a: 16, b: 16 + aligned(m * k), bias: 0, c: 0, scratch: 0 };
  at.bias = at.b + aligned(k * n);
  at.c = at.bias + aligned(n);
  at.scratch = at.c + aligned(m * n);
  const pages = Math.ceil((at.scratch + matmulScratchBytes(problem, options)) / 65536) + 1;

  const mod = new binaryen.Module();
  const spec: MatmulSpec = { ...problem, epilogue: bias ? biasRelu(mod) : undefined };
  const relaxed = options.fma ? binaryen.Features.RelaxedSIMD : 0;
  mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | relaxed);
  mod.setMemory(pages, pages, 'memory');
  addMatmulFunction(binaryen, mod, 'matmul', spec, options);
  mod.addFunctionExport('matmul', 'matmul');
  expect(mod.validate()).toBeTruthy();
  binaryen.setOptimizeLevel(3);
  mod.optimize();
  const binary = mod.emitBinary() as Uint8Array<ArrayBuffer>;
  mod.dispose();

  const { instance } = await WebAssembly.instantiate(binary);
  const memory = new Float32Array((instance.exports.memory as WebAssembly.Memory).buffer);
  memory.set(a, at.a / 4);
  memory.set(b, at.b / 4);
  if (bias) memory.set(bias, at.bias / 4);
  memory.fill(NaN, at.c / 4, at.c / 4 + m * n); // C must be overwritten, not accumulated into
  const matmul = instance.exports.matmul as (...args: number[]) => void;
  matmul(at.a, at.b, at.c, at.scratch, ...(bias ? [at.bias] : []));
  return memory.slice(at.c / 4, at.c / 4 + m * n);
}

/** Largest |got - want| relative to max(1, |want|) and to sqrt(k), the growth of f32 rounding. */
async function matmulError(spec: Problem, withBias = false, options: MatmulOptions = {}): Promise<number> {
  const a = seededValues(spec.m * spec.k, 1);
  const b = seededValues(spec.k * spec.n, 2);
  const bias = withBias ? seededValues(spec.n, 3) : undefined;
  const got = await runKernel(spec, a, b, bias, options);
  const want = reference(spec, a, b, bias);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)) / Math.sqrt(Math.max(1, spec.k));
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

const SHAPES: [m: number, k: number, n: number][] = [
  [1, 1, 1],
  [3, 7, 5],
  [17, 9, 33],
  [64, 64, 64],
  [65, 31, 130],
  [5, 0, 9],
  [1, 40, 37],
  [23, 40, 1],
];
const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;
const label = (transA: boolean, transB: boolean) => `${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}`;
const CASES = SHAPES.flatMap(([m, k, n]) =>
  TRANSPOSES.map(([transA, transB]) => ({
    name: `${m}x${k}x${n} ${label(transA, transB)}`,
    spec: { m, k, n, transA, transB },
  })),
);

describe('Wasm SIMD matmul kernel', () => {
  it.each(CASES)('computes $name (m x k x n) within 1e-5·sqrt(k) of float64', async ({ spec }) => {
    expect(await matmulError(spec)).toBeLessThan(1e-5);
  });

  it.each(TRANSPOSES.map(([transA, transB]) => ({ transA, transB, name: label(transA, transB) })))(
    'fuses a bias-by-column + relu epilogue into $name, edge tiles included',
    async ({ transA, transB }) => {
      expect(await matmulError({ m: 65, k: 31, n: 130, transA, transB }, true)).toBeLessThan(1e-5);
      expect(await matmulError({ m: 3, k: 5, n: 7, transA, transB }, true)).toBeLessThan(1e-5);
    },
  );

  it('stores epilogue(0) when k = 0', async () => {
    expect(await matmulError({ m: 6, k: 0, n: 10, transA: false, transB: false }, true)).toBe(0);
  });

  it.each(TRANSPOSES.map(([transA, transB]) => ({ transA, transB, name: label(transA, transB) })))(
    'accumulates across several k, m and n blocks ($name, tiny blocks, epilogue on the last k block)',
    async ({ transA, transB }) => {
      const options: MatmulOptions = { blocking: { kc: 8, mc: 8, nc: 16 } };
      expect(await matmulError({ m: 37, k: 45, n: 50, transA, transB }, false, options)).toBeLessThan(1e-5);
      expect(await matmulError({ m: 37, k: 45, n: 50, transA, transB }, true, options)).toBeLessThan(1e-5);
    },
  );

  it.each([
    { name: 'a hand-unrolled k loop', blocking: { unroll: 3 } },
    { name: 'a 3x12 register tile', blocking: { mr: 3, nr: 12 } },
    { name: 'a 2x16 register tile', blocking: { mr: 2, nr: 16 } },
  ])('gives the same results with $name', async ({ blocking }) => {
    expect(await matmulError({ m: 29, k: 70, n: 41, transA: false, transB: true }, false, { blocking })).toBeLessThan(
      1e-5,
    );
  });

  it('emits a valid relaxed-FMA variant that uses relaxed_madd', () => {
    const spec: Problem = { m: 20, k: 33, n: 26, transA: true, transB: false };
    const mod = new binaryen.Module();
    mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.RelaxedSIMD);
    mod.setMemory(1, 1);
    addMatmulFunction(binaryen, mod, 'matmul', spec, { fma: true });
    expect(mod.validate()).toBeTruthy();
    expect(mod.emitText()).toContain('f32x4.relaxed_madd');
    mod.dispose();
  });

  // The lowering uses FMA with the default tile and with the convolutions' 4x8 and 2x16.
  it.each([
    { name: 'the default FMA tile', blocking: {} },
    { name: 'a 4x8 tile', blocking: { mr: 4, nr: 8 } },
    { name: 'a 2x16 tile and one k block', blocking: { mr: 2, nr: 16, kc: 70 } },
  ])('gives the same results with FMA and $name (on Node 20 with its flag set for the test)', async ({ blocking }) => {
    const restore = await enableRelaxedSimd();
    try {
      const spec: Problem = { m: 29, k: 70, n: 41, transA: true, transB: false };
      expect(await matmulError(spec, true, { fma: true, blocking })).toBeLessThan(1e-5);
    } finally {
      restore();
    }
  });

  it('adds an empty function and needs no scratch when m or n is 0', async () => {
    const spec: Problem = { m: 0, k: 4, n: 3, transA: false, transB: false };
    expect(matmulScratchBytes(spec)).toBe(0);
    expect(await matmulError(spec)).toBe(0);
  });

  it('rejects a register tile whose width is not a multiple of 4', () => {
    const mod = new binaryen.Module();
    expect(() =>
      addMatmulFunction(
        binaryen,
        mod,
        'matmul',
        { m: 4, k: 4, n: 4, transA: false, transB: false },
        { blocking: { nr: 6 } },
      ),
    ).toThrow('matmul blocking: need nr a multiple of 4 and mr, kc, unroll >= 1; got');
    mod.dispose();
  });
});
