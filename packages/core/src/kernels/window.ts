/**
 * @file Eager kernels of the window ops: direct loops over NHWC images (convolution and its two
 * gradients, max and average pooling and theirs), accumulating in f64. They are the reference the
 * traced backends are checked against, so they stay plain.
 */
import { makeTensor, type Tensor } from '../tensor.ts';
import { sizeOf } from '../shape.ts';
import type { TensorType } from '../ops/rules.ts';
import { tapRange, type Window2d } from '../window-geometry.ts';

/**
 * Calls `visit(n, oh, ow, ih, iw, kh, kw)` for every in-bounds tap of every output position; with
 * `padding`, for the taps in the padding too (ih or iw then out of range).
 */
function forEachTap(
  w: Window2d,
  visit: (n: number, oh: number, ow: number, ih: number, iw: number, kh: number, kw: number) => void,
  padding = false,
): void {
  for (let n = 0; n < w.batch; n++) {
    for (let oh = 0; oh < w.outH; oh++) {
      const [h0, kh0, kh1] = padding
        ? [oh * w.strideH - w.padTop, 0, w.kH]
        : tapRange(oh, w.strideH, w.dilationH, w.padTop, w.kH, w.inH);
      for (let ow = 0; ow < w.outW; ow++) {
        const [w0, kw0, kw1] = padding
          ? [ow * w.strideW - w.padLeft, 0, w.kW]
          : tapRange(ow, w.strideW, w.dilationW, w.padLeft, w.kW, w.inW);
        for (let kh = kh0; kh < kh1; kh++) {
          for (let kw = kw0; kw < kw1; kw++) visit(n, oh, ow, h0 + kh * w.dilationH, w0 + kw * w.dilationW, kh, kw);
        }
      }
    }
  }
}

/**
 * x's taps as a convolution sees them: the padding holds zeros that are multiplied like any value
 * (so 0 · Inf is NaN, as in TensorFlow and in the Wasm kernels), except where every multiplier is
 * finite and the zeros can be skipped.
 */
function convTaps(
  w: Window2d,
  multipliers: ArrayLike<number>,
  visit: (n: number, oh: number, ow: number, xi: number, kh: number, kw: number) => void,
): void {
  const reach = (out: number, stride: number, k: number, dilation: number): number =>
    (out - 1) * stride + (k - 1) * dilation + 1;
  const padded =
    w.padTop > 0 ||
    w.padLeft > 0 ||
    reach(w.outH, w.strideH, w.kH, w.dilationH) > w.padTop + w.inH ||
    reach(w.outW, w.strideW, w.kW, w.dilationW) > w.padLeft + w.inW;
  const allFinite = Array.prototype.every.call(multipliers, (v: number) => Number.isFinite(v));
  forEachTap(
    w,
    (n, oh, ow, ih, iw, kh, kw) => {
      const inside = ih >= 0 && ih < w.inH && iw >= 0 && iw < w.inW;
      visit(n, oh, ow, inside ? inIndex(w, n, ih, iw) : -1, kh, kw);
    },
    padded && !allFinite,
  );
}

const inIndex = (w: Window2d, n: number, ih: number, iw: number): number => ((n * w.inH + ih) * w.inW + iw) * w.inC;
const outIndex = (w: Window2d, n: number, oh: number, ow: number): number => ((n * w.outH + oh) * w.outW + ow) * w.outC;
const tapIndex = (w: Window2d, kh: number, kw: number): number => (kh * w.kW + kw) * w.inC * w.outC;

function result(type: TensorType, acc: Float64Array): Tensor {
  return makeTensor(type.shape, type.dtype, Float32Array.from(acc));
}

/** y[n,oh,ow,o] = Σ x[n,ih,iw,c] · f[kh,kw,c,o] over the in-bounds taps. */
export function conv2dKernel(x: Tensor, f: Tensor, w: Window2d, type: TensorType): Tensor {
  const xs = x.storage!;
  const fs = f.storage!;
  const acc = new Float64Array(sizeOf(type.shape));
  convTaps(w, fs, (n, oh, ow, xi, kh, kw) => {
    const yi = outIndex(w, n, oh, ow);
    const fi = tapIndex(w, kh, kw);
    for (let c = 0; c < w.inC; c++) {
      const xv = xi < 0 ? 0 : xs[xi + c]!;
      for (let o = 0; o < w.outC; o++) acc[yi + o] += xv * fs[fi + c * w.outC + o]!;
    }
  });
  return result(type, acc);
}

/** dx[n,ih,iw,c] = Σ dy[n,oh,ow,o] · f[kh,kw,c,o]: the adjoint of conv2d in x. */
export function conv2dBackpropInputKernel(dy: Tensor, f: Tensor, w: Window2d, type: TensorType): Tensor {
  const gs = dy.storage!;
  const fs = f.storage!;
  const acc = new Float64Array(sizeOf(type.shape));
  forEachTap(w, (n, oh, ow, ih, iw, kh, kw) => {
    const xi = inIndex(w, n, ih, iw);
    const yi = outIndex(w, n, oh, ow);
    const fi = tapIndex(w, kh, kw);
    for (let c = 0; c < w.inC; c++) {
      let s = 0;
      for (let o = 0; o < w.outC; o++) s += gs[yi + o]! * fs[fi + c * w.outC + o]!;
      acc[xi + c] += s;
    }
  });
  return result(type, acc);
}

/** df[kh,kw,c,o] = Σ x[n,ih,iw,c] · dy[n,oh,ow,o]: the adjoint of conv2d in the filter. */
export function conv2dBackpropFilterKernel(x: Tensor, dy: Tensor, w: Window2d, type: TensorType): Tensor {
  const xs = x.storage!;
  const gs = dy.storage!;
  const acc = new Float64Array(sizeOf(type.shape));
  convTaps(w, gs, (n, oh, ow, xi, kh, kw) => {
    const yi = outIndex(w, n, oh, ow);
    const fi = tapIndex(w, kh, kw);
    for (let c = 0; c < w.inC; c++) {
      const xv = xi < 0 ? 0 : xs[xi + c]!;
      for (let o = 0; o < w.outC; o++) acc[fi + c * w.outC + o] += xv * gs[yi + o]!;
    }
  });
  return result(type, acc);
}

/** Per output position and channel: the flat input index of the window's first maximum (-1: none). */
function argmaxIndices(x: Tensor, w: Window2d): Int32Array {
  const xs = x.storage!;
  const best = new Int32Array(w.batch * w.outH * w.outW * w.outC).fill(-1);
  forEachTap(w, (n, oh, ow, ih, iw) => {
    const xi = inIndex(w, n, ih, iw);
    const yi = outIndex(w, n, oh, ow);
    for (let c = 0; c < w.inC; c++) {
      const b = best[yi + c]!;
      // NaN wins and stays, as in max reductions.
      if (b < 0 || xs[xi + c]! > xs[b]! || (Number.isNaN(xs[xi + c]!) && !Number.isNaN(xs[b]!))) best[yi + c] = xi + c;
    }
  });
  return best;
}

export function maxPoolKernel(x: Tensor, w: Window2d, type: TensorType): Tensor {
  const xs = x.storage!;
  const best = argmaxIndices(x, w);
  return makeTensor(
    type.shape,
    type.dtype,
    Float32Array.from(best, (i) => xs[i]!),
  );
}

/** dx: each dy element added at its window's first maximum. */
export function maxPoolGradKernel(x: Tensor, dy: Tensor, w: Window2d, type: TensorType): Tensor {
  const gs = dy.storage!;
  const acc = new Float64Array(sizeOf(type.shape));
  argmaxIndices(x, w).forEach((i, o) => (acc[i] += gs[o]!));
  return result(type, acc);
}

/** How many input positions each output's window covers (padding is not counted, as in TF). */
function windowCounts(w: Window2d): Int32Array {
  const counts = new Int32Array(w.batch * w.outH * w.outW);
  forEachTap(w, (n, oh, ow) => counts[(n * w.outH + oh) * w.outW + ow]++);
  return counts;
}

export function avgPoolKernel(x: Tensor, w: Window2d, type: TensorType): Tensor {
  const xs = x.storage!;
  const acc = new Float64Array(sizeOf(type.shape));
  forEachTap(w, (n, oh, ow, ih, iw) => {
    const xi = inIndex(w, n, ih, iw);
    const yi = outIndex(w, n, oh, ow);
    for (let c = 0; c < w.inC; c++) acc[yi + c] += xs[xi + c]!;
  });
  const counts = windowCounts(w);
  for (let i = 0; i < acc.length; i++) acc[i] /= counts[Math.floor(i / w.outC)]!;
  return result(type, acc);
}

export function avgPoolGradKernel(dy: Tensor, w: Window2d, type: TensorType): Tensor {
  const gs = dy.storage!;
  const counts = windowCounts(w);
  const acc = new Float64Array(sizeOf(type.shape));
  forEachTap(w, (n, oh, ow, ih, iw) => {
    const xi = inIndex(w, n, ih, iw);
    const p = (n * w.outH + oh) * w.outW + ow;
    for (let c = 0; c < w.inC; c++) acc[xi + c] += gs[p * w.outC + c]! / counts[p]!;
  });
  return result(type, acc);
}
