/**
 * @file conv2d, maxPool and avgPool against a plain-JS reference written here (direct loops over
 * a zero- or -inf-padded copy of the input, sharing no code with Kiln), eagerly, traced on the
 * IR interpreter and traced on Wasm; their gradients against central differences of the
 * reference; and the Wasm paths a small catalogue misses (channel counts off the SIMD width,
 * im2col in several chunks with partial filter sums).
 */
import { describe, expect, it } from '@jest/globals';
import * as k from '../src/index.ts';

type Pad = [[number, number], [number, number]];

interface Image {
  shape: [number, number, number, number];
  data: Float64Array;
}

/** Deterministic values in [-1, 1) from a small LCG. */
function values(n: number, seed: number): Float64Array {
  let s = seed * 2654435761 + 1;
  return Float64Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

function image(shape: [number, number, number, number], seed: number): Image {
  return {
    shape,
    data: values(
      shape.reduce((a, b) => a * b),
      seed,
    ),
  };
}

/** TF 'same' padding, written out: total = max((ceil(n/s) - 1)·s + k_eff - n, 0), extra at the end. */
function samePad(n: number, kk: number, s: number, d: number): [number, number] {
  const keff = d * (kk - 1) + 1;
  const total = Math.max((Math.ceil(n / s) - 1) * s + keff - n, 0);
  return [total >> 1, total - (total >> 1)];
}

/** x padded with `fill` (a new, larger image), so the reference needs no bounds checks. */
function padded(x: Image, pad: Pad, fill: number): Image {
  const [n, h, w, c] = x.shape;
  const [H, W] = [h + pad[0][0] + pad[0][1], w + pad[1][0] + pad[1][1]];
  const out = new Float64Array(n * H * W * c).fill(fill);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let q = 0; q < c; q++)
          out[((b * H + i + pad[0][0]) * W + j + pad[1][0]) * c + q] = x.data[((b * h + i) * w + j) * c + q]!;
  return { shape: [n, H, W, c], data: out };
}

function refConv(x: Image, f: Image, s: [number, number], pad: Pad, d: [number, number]): Image {
  const p = padded(x, pad, 0);
  const [n, H, W, c] = p.shape;
  const [kh, kw, , o] = f.shape;
  const oh = Math.floor((H - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((W - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const out = new Float64Array(n * oh * ow * o);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let q = 0; q < o; q++) {
          let acc = 0;
          for (let u = 0; u < kh; u++)
            for (let v = 0; v < kw; v++)
              for (let r = 0; r < c; r++) {
                const xv = p.data[((b * H + i * s[0] + u * d[0]) * W + j * s[1] + v * d[1]) * c + r]!;
                acc += xv * f.data[((u * kw + v) * c + r) * o + q]!;
              }
          out[((b * oh + i) * ow + j) * o + q] = acc;
        }
  return { shape: [n, oh, ow, o], data: out };
}

/** max or mean over each window; padding is -inf for max and not counted in the mean (as in TF). */
function refPool(x: Image, kind: 'max' | 'avg', win: [number, number], s: [number, number], pad: Pad): Image {
  const p = padded(x, pad, kind === 'max' ? -Infinity : NaN);
  const [n, H, W, c] = p.shape;
  const oh = Math.floor((H - win[0]) / s[0]) + 1;
  const ow = Math.floor((W - win[1]) / s[1]) + 1;
  const out = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let q = 0; q < c; q++) {
          let best = -Infinity;
          let sum = 0;
          let count = 0;
          for (let u = 0; u < win[0]; u++)
            for (let v = 0; v < win[1]; v++) {
              const xv = p.data[((b * H + i * s[0] + u) * W + j * s[1] + v) * c + q]!;
              best = Math.max(best, xv);
              if (!Number.isNaN(xv)) {
                sum += xv;
                count++;
              }
            }
          out[((b * oh + i) * ow + j) * c + q] = kind === 'max' ? best : sum / count;
        }
  return { shape: [n, oh, ow, c], data: out };
}

const toTensor = (x: Image): k.Tensor => k.tensor(Float32Array.from(x.data), x.shape);

/** |actual - expected| <= atol + rtol·|expected| everywhere, with the first offender named. */
function expectClose(actual: k.Tensor, expected: Image, rtol: number, atol: number, what: string): void {
  expect(actual.shape).toEqual(expected.shape);
  const a = actual.dataSync();
  for (let i = 0; i < a.length; i++) {
    const e = expected.data[i]!;
    if (!(Math.abs(a[i]! - e) <= atol + rtol * Math.abs(e)))
      throw new Error(`${what}: element ${i} is ${a[i]}, expected ${e}`);
  }
}

/** Eager; traced on the interpreter (core's kernels: rounding only); traced on Wasm (f32 sums). */
const MODES: [string, (f: (...xs: k.Tensor[]) => k.Tensor) => (...xs: k.Tensor[]) => k.Tensor, number][] = [
  ['eager', (f) => f, 1e-5],
  ['interpreter', (f) => k.trace(f, { backend: 'interpreter' }), 1e-5],
  ['wasm', (f) => k.trace(f, { backend: 'wasm' }), 1e-4],
];

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  f: [number, number, number, number];
  strides: [number, number];
  padding: 'same' | 'valid' | Pad;
  dilations: [number, number];
}

const CONV_CASES: ConvCase[] = [
  {
    name: 'stride 1 valid, batch 1',
    x: [1, 6, 6, 2],
    f: [3, 3, 2, 3],
    strides: [1, 1],
    padding: 'valid',
    dilations: [1, 1],
  },
  {
    name: 'stride 1 same, batch 3',
    x: [3, 5, 5, 3],
    f: [3, 3, 3, 4],
    strides: [1, 1],
    padding: 'same',
    dilations: [1, 1],
  },
  {
    name: 'stride 2 same, odd sizes',
    x: [3, 7, 9, 1],
    f: [3, 2, 1, 5],
    strides: [2, 2],
    padding: 'same',
    dilations: [1, 1],
  },
  {
    name: 'stride 2 valid, 4 channels',
    x: [1, 9, 7, 4],
    f: [3, 3, 4, 8],
    strides: [2, 2],
    padding: 'valid',
    dilations: [1, 1],
  },
  { name: 'dilation 2 valid', x: [1, 9, 8, 2], f: [3, 3, 2, 2], strides: [1, 1], padding: 'valid', dilations: [2, 2] },
  {
    name: 'dilation 2 same, batch 3',
    x: [3, 6, 7, 4],
    f: [2, 3, 4, 3],
    strides: [1, 1],
    padding: 'same',
    dilations: [2, 2],
  },
  {
    name: 'strides [2,1], dilations [1,2], explicit padding',
    x: [1, 7, 6, 3],
    f: [3, 2, 3, 2],
    strides: [2, 1],
    padding: [
      [2, 0],
      [1, 3],
    ],
    dilations: [1, 2],
  },
  { name: '1x1 (no packing)', x: [3, 4, 5, 4], f: [1, 1, 4, 6], strides: [1, 1], padding: 'valid', dilations: [1, 1] },
  { name: '5x5, as LeNet', x: [3, 12, 12, 1], f: [5, 5, 1, 6], strides: [1, 1], padding: 'valid', dilations: [1, 1] },
];

function resolve(c: ConvCase): Pad {
  if (c.padding === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (c.padding === 'same')
    return [
      samePad(c.x[1], c.f[0], c.strides[0], c.dilations[0]),
      samePad(c.x[2], c.f[1], c.strides[1], c.dilations[1]),
    ];
  return c.padding;
}

describe('conv2d equals a direct convolution', () => {
  describe.each(CONV_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const x = image(c.x, 1);
    const f = image(c.f, 2);
    const expected = refConv(x, f, c.strides, resolve(c), c.dilations);
    const conv = (a: k.Tensor, b: k.Tensor): k.Tensor =>
      k.conv2d(a, b, { strides: c.strides, padding: c.padding, dilations: c.dilations });
    it.each(MODES)('%s', (mode, run, tol) => {
      expectClose(run(conv)(toTensor(x), toTensor(f)), expected, tol, tol, `${mode} conv2d`);
    });
  });
});

interface PoolCase {
  name: string;
  x: [number, number, number, number];
  window: [number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
}

const POOL_CASES: PoolCase[] = [
  { name: '2x2 stride 2 valid, batch 1', x: [1, 6, 6, 3], window: [2, 2], strides: [2, 2], padding: 'valid' },
  { name: '3x3 stride 2 same, odd sizes, batch 3', x: [3, 7, 5, 4], window: [3, 3], strides: [2, 2], padding: 'same' },
  { name: '3x2 stride 1 same', x: [1, 5, 6, 2], window: [3, 2], strides: [1, 1], padding: 'same' },
  { name: '2x3 strides [1,2] valid, 8 channels', x: [3, 5, 7, 8], window: [2, 3], strides: [1, 2], padding: 'valid' },
];

describe.each(['max', 'avg'] as const)('%sPool equals a direct window reduction', (kind) => {
  describe.each(POOL_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const x = image(c.x, 3);
    const pad: Pad =
      c.padding === 'valid'
        ? [
            [0, 0],
            [0, 0],
          ]
        : [samePad(c.x[1], c.window[0], c.strides[0], 1), samePad(c.x[2], c.window[1], c.strides[1], 1)];
    const expected = refPool(x, kind, c.window, c.strides, pad);
    const op = kind === 'max' ? k.maxPool : k.avgPool;
    const pool = (a: k.Tensor): k.Tensor => op(a, { windowShape: c.window, strides: c.strides, padding: c.padding });
    it.each(MODES)('%s', (mode, run, tol) => {
      expectClose(run(pool)(toTensor(x)), expected, tol, tol, `${mode} ${kind}Pool`);
    });
  });
});

/** d/dx_i of sum(w · g(x)) by central differences of the f64 reference. */
function numericGrad(x: Image, g: (x: Image) => Image, w: Float64Array, eps = 1e-4): Image {
  const loss = (y: Image): number => g(y).data.reduce((acc, v, i) => acc + v * w[i]!, 0);
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < out.length; i++) {
    const plus = { shape: x.shape, data: x.data.slice() };
    const minus = { shape: x.shape, data: x.data.slice() };
    plus.data[i]! += eps;
    minus.data[i]! -= eps;
    out[i] = (loss(plus) - loss(minus)) / (2 * eps);
  }
  return { shape: x.shape, data: out };
}

describe('gradients equal central differences of the reference', () => {
  const s: [number, number] = [2, 1];
  const d: [number, number] = [1, 2];
  const pad: Pad = [
    [1, 1],
    [2, 0],
  ];
  const x = image([2, 6, 5, 3], 4);
  const f = image([3, 2, 3, 2], 5);
  const y = refConv(x, f, s, pad, d);
  const w = values(y.data.length, 6);
  const dx = numericGrad(x, (a) => refConv(a, f, s, pad, d), w);
  const df = numericGrad(f, (b) => refConv(x, b, s, pad, d), w);
  const loss = (a: k.Tensor, b: k.Tensor): k.Tensor =>
    k.sum(k.mul(k.conv2d(a, b, { strides: s, padding: pad, dilations: d }), k.tensor(Float32Array.from(w), y.shape)));
  const grads = (a: k.Tensor, b: k.Tensor): k.Tensor => {
    const [ga, gb] = k.grad(loss, [0, 1])(a, b);
    return k.concat([k.reshape(ga!, [-1]), k.reshape(gb!, [-1])]);
  };
  it.each(MODES)('conv2d input and filter, %s', (mode, run) => {
    const both = run(grads)(toTensor(x), toTensor(f));
    const expected = {
      shape: [both.size] as unknown as Image['shape'],
      data: Float64Array.from([...dx.data, ...df.data]),
    };
    expectClose(k.reshape(both, [both.size]), expected, 2e-3, 2e-3, `${mode} conv2d gradient`);
  });

  // Distinct values 0.01 apart: no window has a near tie for the differences to straddle.
  const px: Image = { shape: [2, 5, 6, 4], data: values(240, 7).map((_, i) => ((i * 37) % 240) * 0.01 - 1.2) };
  const ps: [number, number] = [2, 2];
  const ppad: Pad = [samePad(5, 3, 2, 1), samePad(6, 3, 2, 1)];
  describe.each(['max', 'avg'] as const)('%sPool', (kind) => {
    const py = refPool(px, kind, [3, 3], ps, ppad);
    const pw = values(py.data.length, 8);
    const expected = numericGrad(px, (a) => refPool(a, kind, [3, 3], ps, ppad), pw);
    const op = kind === 'max' ? k.maxPool : k.avgPool;
    const g = (a: k.Tensor): k.Tensor =>
      k.grad((t: k.Tensor) =>
        k.sum(k.mul(op(t, { windowShape: 3, strides: 2, padding: 'same' }), k.tensor(Float32Array.from(pw), py.shape))),
      )(a);
    it.each(MODES)('%s', (mode, run) => {
      expectClose(run(g)(toTensor(px)), expected, 2e-3, 2e-3, `${mode} ${kind}Pool gradient`);
    });
  });
});

describe('Wasm paths', () => {
  it('im2col in several chunks (filter gradients summed across them) agrees with eager', () => {
    // 6 images of 28x28 output rows, 3x3x16 taps: ~450 KB of rows each, so packed three at a time.
    const x = k.randomUniform([6, 28, 28, 16], { seed: 1, min: -1, max: 1 });
    const f = k.randomUniform([3, 3, 16, 8], { seed: 2, min: -1, max: 1 });
    const wt = k.randomUniform([6, 28, 28, 8], { seed: 3, min: -1, max: 1 });
    const step = (a: k.Tensor, b: k.Tensor): k.Tensor[] => {
      const [ga, gb] = k.grad(
        (p: k.Tensor, q: k.Tensor) => k.sum(k.mul(k.conv2d(p, q, { padding: 'same' }), wt)),
        [0, 1],
      )(a, b);
      return [k.conv2d(a, b, { padding: 'same' }), ga!, gb!];
    };
    const eager = step(x, f);
    const wasm = k.trace(step, { backend: 'wasm' })(x, f);
    eager.forEach((e, i) => {
      const expected = { shape: e.shape as Image['shape'], data: Float64Array.from(e.dataSync()) };
      expectClose(wasm[i]!, expected, 1e-4, 1e-3, `output ${i}`);
    });
  });

  it("bias, inference batch norm, a residual add and relu run as the conv kernel's epilogue", () => {
    // 6 images of 28x28x16 with 3x3 taps: im2col in two chunks, so the residual is read per chunk.
    const x = k.randomUniform([6, 28, 28, 16], { seed: 4, min: -1, max: 1 });
    const f = k.randomUniform([3, 3, 16, 16], { seed: 5, min: -0.3, max: 0.3 });
    const bias = k.randomUniform([16], { seed: 6 });
    const residual = k.randomUniform([6, 28, 28, 16], { seed: 7, min: -1, max: 1 });
    const state = k.nn.batchNormState(16);
    state.movingMean.assign(k.randomUniform([16], { seed: 8 }));
    state.movingVariance.assign(k.randomUniform([16], { seed: 9, min: 0.5, max: 2 }));
    const block = (a: k.Tensor, b: k.Tensor, c: k.Tensor, r: k.Tensor): k.Tensor =>
      k.relu(k.add(k.nn.batchNorm(k.nn.conv2d(a, b, c, { padding: 'same' }), state, { training: false }), r));
    const traced = k.trace(block, { backend: 'wasm' });
    const got = traced(x, f, bias, residual);
    const want = block(x, f, bias, residual);
    expectClose(
      got,
      { shape: want.shape as Image['shape'], data: Float64Array.from(want.dataSync()) },
      1e-4,
      1e-4,
      'fused',
    );
    const fused = traced.ir(x, f, bias, residual, { stage: 'fused' });
    expect(fused).toMatch(/= fused\.conv2d/);
    // Only the per-channel scale and shift are computed apart: the [6,28,28,16] epilogue is in the conv.
    expect(fused).not.toMatch(/f32\[6,28,28,16\] = fused\.elementwise/);
  });

  it('padding holds zeros that multiply like values: 0 · Inf is NaN, eagerly and traced', () => {
    const x = k.tensor([1, 2, 3], [1, 1, 3, 1]);
    const f = k.tensor([Infinity, 1, 1], [1, 3, 1, 1]);
    const conv = (a: k.Tensor, b: k.Tensor): k.Tensor => k.conv2d(a, b, { padding: 'same' });
    for (const [, run] of MODES) expect(Array.from(run(conv)(x, f).dataSync())).toEqual([NaN, Infinity, Infinity]);
  });

  it('maxPool NaN: the maximum is NaN and the gradient goes to the NaN, as eagerly', () => {
    const x = k.tensor([1, NaN, 3, 2, 5, 4, 0, -1], [1, 2, 4, 1]);
    const g = (t: k.Tensor): k.Tensor[] => [
      k.maxPool(t, { windowShape: 2 }),
      k.grad((u: k.Tensor) => k.sum(k.maxPool(u, { windowShape: 2 })))(t),
    ];
    for (const out of [g(x), k.trace(g, { backend: 'wasm' })(x)]) {
      expect(Array.from(out[0]!.dataSync())).toEqual([NaN, 3]);
      expect(Array.from(out[1]!.dataSync())).toEqual([0, 1, 1, 0, 0, 0, 0, 0]);
    }
  });

  it('the second derivative of maxPool is a clear error', () => {
    const f = (t: k.Tensor): k.Tensor =>
      k.sum(k.grad((u: k.Tensor) => k.sum(k.square(k.maxPool(u, { windowShape: 2 }))))(t));
    expect(() => k.grad(f)(k.ones([1, 2, 2, 1]))).toThrow(
      /maxPoolGrad: the second derivative of maxPool is not supported/,
    );
  });
});
