/**
 * Each approximation against Math, built both ways the backend builds it: with a mul and an add
 * per polynomial step, and with relaxed-SIMD FMA (fused on this CPU if it has FMA; where V8 does
 * not fuse relaxed_madd, it is the first way again).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadBinaryen } from '../src/binaryen.ts';
import { simdMath, simdMathMaxError, type SimdMathName } from '../src/simd-math.ts';
import {
  allMagnitudes,
  buildMathModule,
  erf,
  instantiateMathModule,
  sweepInputs,
  worstError,
  type MathKernel,
} from './simd-math-harness.ts';
import { enableRelaxedSimd } from './relaxed-engine.ts';

interface MathCase {
  /** The exact function, in double. */
  reference: (x: number) => number;
  /** The range the even part of the sweep covers. */
  grid: [number, number];
  /** Exact results Math gives (in f32) for special and edge inputs. */
  specials: [x: number, want: number][];
  /** Edge inputs checked against the bound with the sweep (or in the shortcut, if they fall there). */
  edges?: number[];
  /** The result for any finite x lies in [lo, hi]. */
  range?: [number, number];
}

const trigSpecials: [number, number][] = [
  [Infinity, NaN],
  [-Infinity, NaN],
  [NaN, NaN],
];
// sin and cos promise their bound on this range; beyond it they promise a value in [-1, 1]
const trigRange = simdMathMaxError.sin.maxAbsX!;
const unitRange: [number, number] = [-1, 1];

const cases: Record<SimdMathName, MathCase> = {
  exp: {
    reference: Math.exp,
    grid: [-87, 88],
    specials: [
      [-Infinity, 0],
      [Infinity, Infinity],
      [NaN, NaN],
      [0, 1],
      [89, Infinity],
      [-104, 0],
    ],
    // the last finite result, the first overflow, the smallest normal, the smallest denormal and
    // the last x that rounds to it (these two in the shortcut, which flushes them to 0)
    edges: [88.72283, 88.72284, -87.33654, -103.27893, -103.97207],
  },
  expm1: {
    reference: Math.expm1,
    grid: [-20, 88],
    specials: [
      [-Infinity, -1],
      [Infinity, Infinity],
      [NaN, NaN],
      [0, 0],
      [-40, -1],
      [89, Infinity],
    ],
    edges: [1e-30, -1e-30, 2 ** -149, 88.72283],
  },
  log: {
    reference: Math.log,
    grid: [0, 4],
    specials: [
      [0, -Infinity],
      [-0, -Infinity],
      [-1, NaN],
      [-Infinity, NaN],
      [Infinity, Infinity],
      [NaN, NaN],
      [1, 0],
    ],
    edges: [2 ** -149, 2 ** -126, 3.4028234663852886e38, Math.SQRT2, Math.SQRT1_2],
  },
  log1p: {
    reference: Math.log1p,
    grid: [-1, 4],
    specials: [
      [-1, -Infinity],
      [-2, NaN],
      [-Infinity, NaN],
      [Infinity, Infinity],
      [NaN, NaN],
      [0, 0],
    ],
    edges: [2 ** -149, -(2 ** -149), 1e-30, -0.99999994, 3.4028234663852886e38],
  },
  tanh: {
    reference: Math.tanh,
    grid: [-10, 10],
    // -0 gives +0, as documented
    specials: [
      [Infinity, 1],
      [-Infinity, -1],
      [NaN, NaN],
      [0, 0],
      [-0, 0],
      [20, 1],
      [-20, -1],
    ],
    range: unitRange,
  },
  sigmoid: {
    reference: (x) => 1 / (1 + Math.exp(-x)),
    grid: [-20, 20],
    specials: [
      [Infinity, 1],
      [-Infinity, 0],
      [NaN, NaN],
      [0, 0.5],
      [100, 1],
      [-200, 0],
      [-88, 0],
    ],
    range: [0, 1],
  },
  erf: {
    reference: erf,
    grid: [-5, 5],
    // -0 gives +0, as documented
    specials: [
      [Infinity, 1],
      [-Infinity, -1],
      [NaN, NaN],
      [0, 0],
      [-0, 0],
      [5, 1],
      [-5, -1],
    ],
    range: unitRange,
  },
  sin: {
    reference: Math.sin,
    grid: [-trigRange, trigRange],
    specials: [...trigSpecials, [0, 0], [-0, -0]],
    range: unitRange,
  },
  cos: {
    reference: Math.cos,
    grid: [-trigRange, trigRange],
    specials: [...trigSpecials, [0, 1]],
    range: unitRange,
  },
};

let restoreEngine = () => {};
beforeAll(async () => {
  restoreEngine = await enableRelaxedSimd();
});
afterAll(() => restoreEngine());

const variants = [
  ['mul and add', false],
  ['relaxed FMA', true],
] as const;

describe.each(
  (Object.keys(cases) as SimdMathName[]).flatMap((name) => variants.map(([label, fma]) => [name, label, fma] as const)),
)('simd %s (%s)', (name, _label, fma) => {
  const c = cases[name];
  const bound = simdMathMaxError[name];
  let kernel: MathKernel;
  let wat = '';

  beforeAll(async () => {
    const mod = buildMathModule(await loadBinaryen(), simdMath[name], fma);
    try {
      expect(mod.validate()).toBeTruthy();
      wat = mod.emitText();
      kernel = await instantiateMathModule(mod);
    } finally {
      mod.dispose();
    }
  });

  it(fma ? 'evaluates its polynomials with relaxed_madd' : 'uses no relaxed SIMD', () => {
    expect(wat.includes('f32x4.relaxed_madd')).toBe(fma);
  });

  const [shortLo, shortHi] = bound.shortcut ?? [NaN, NaN];
  const inShortcut = (x: number): boolean => x >= shortLo && x < shortHi;
  const domain =
    (bound.maxAbsX === undefined ? 'all magnitudes' : `|x| <= ${bound.maxAbsX}`) +
    (bound.shortcut ? ` outside [${shortLo}, ${shortHi})` : '');

  it(`stays within ${bound.max} ${bound.kind} error of Math over a sweep of ${domain}`, () => {
    const inputs = sweepInputs(c.grid[0], c.grid[1], c.edges ?? []).filter(
      (x) => !(Math.abs(x) > (bound.maxAbsX ?? Infinity)) && !inShortcut(x),
    );
    expect(inputs.length).toBeGreaterThan(100_000);
    const worst = worstError(inputs, kernel.map(inputs), c.reference, bound);
    expect(worst.error <= bound.max ? 'ok' : worst).toBe('ok');
  });

  it('gives the special values Math gives', () => {
    const got = kernel.map(Float32Array.from(c.specials, ([x]) => x));
    expect(Array.from(got)).toEqual(c.specials.map(([, want]) => want));
  });

  it('gives the same results from a scalar splat and extract_lane', () => {
    const inputs = sweepInputs(-10, 10, []).filter((_, k) => k % 4099 === 0);
    const viaScalar = Array.from(inputs, (x) => kernel.scalar(x));
    expect(viaScalar).toEqual(Array.from(kernel.map(inputs)));
  });

  if (bound.shortcut) {
    it(`stays between Math's values at the ends of its shortcut [${shortLo}, ${shortHi})`, () => {
      const inputs = sweepInputs(shortLo, shortHi, c.edges ?? []).filter(inShortcut);
      expect(inputs.length).toBeGreaterThan(100_000);
      const ends = [shortLo, shortHi].map((x) => Math.fround(c.reference(x)));
      const slack = bound.max * Math.max(...ends.map(Math.abs));
      const [lo, hi] = [Math.min(...ends) - slack, Math.max(...ends) + slack];
      expect(kernel.map(inputs).every((y) => y >= lo && y <= hi)).toBe(true);
    });
  }

  if (c.range) {
    const [lo, hi] = c.range;
    it(`stays in [${lo}, ${hi}] for any finite x, however large`, () => {
      const inputs = allMagnitudes().filter(Number.isFinite);
      expect(kernel.map(inputs).every((y) => y >= lo && y <= hi)).toBe(true);
    });
  }
});
