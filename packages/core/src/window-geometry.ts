/**
 * @file The geometry of a 2-D sliding window over an NHWC image: sizes, strides, dilations and
 * padding, resolved into the numbers every kernel (eager and Wasm) loops with. An output position
 * (oh, ow) with window tap (kh, kw) reads input row oh·strideH + kh·dilationH − padTop, and so on.
 */
import type { Conv2dAttrs, PoolAttrs } from './ops/names.ts';

export interface Window2d {
  batch: number;
  inH: number;
  inW: number;
  /** Input channels. */
  inC: number;
  kH: number;
  kW: number;
  /** Output channels: the filter's for conv2d, inC for pooling. */
  outC: number;
  outH: number;
  outW: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

/** The extent of a dilated window: k taps `dilation` apart. */
export function effectiveSize(k: number, dilation: number): number {
  return (k - 1) * dilation + 1;
}

/** Output positions along one axis (0 or less when the window is larger than the padded input). */
export function outputSize(size: number, k: number, stride: number, dilation: number, pad: readonly number[]): number {
  return Math.floor((size + pad[0]! + pad[1]! - effectiveSize(k, dilation)) / stride) + 1;
}

/** TensorFlow's 'same' padding along one axis: ceil(size / stride) outputs, the extra pad at the end. */
export function samePadding(size: number, k: number, stride: number, dilation: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effectiveSize(k, dilation) - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function window(
  x: readonly number[],
  kH: number,
  kW: number,
  outC: number,
  strides: readonly number[],
  dilations: readonly number[],
  padding: readonly (readonly number[])[],
): Window2d {
  const [batch, inH, inW, inC] = x as [number, number, number, number];
  const [strideH, strideW] = strides as [number, number];
  const [dilationH, dilationW] = dilations as [number, number];
  return {
    batch,
    inH,
    inW,
    inC,
    kH,
    kW,
    outC,
    outH: outputSize(inH, kH, strideH, dilationH, padding[0]!),
    outW: outputSize(inW, kW, strideW, dilationW, padding[1]!),
    strideH,
    strideW,
    dilationH,
    dilationW,
    padTop: padding[0]![0]!,
    padLeft: padding[1]![0]!,
  };
}

/** The window of conv2d(x, filter): x is [N, H, W, C], the filter [kH, kW, C, O]. */
export function convWindow(x: readonly number[], filter: readonly number[], attrs: Conv2dAttrs): Window2d {
  return window(x, filter[0]!, filter[1]!, filter[3]!, attrs.strides, attrs.dilations, attrs.padding);
}

/** The window of a pooling op over x [N, H, W, C]. */
export function poolWindow(x: readonly number[], attrs: PoolAttrs): Window2d {
  const [kH, kW] = attrs.windowShape as [number, number];
  return window(x, kH, kW, x[3]!, attrs.strides, [1, 1], attrs.padding);
}

/** The valid taps of a window along one axis: first input index, first and end tap. */
export function tapRange(
  o: number,
  stride: number,
  dilation: number,
  pad: number,
  k: number,
  size: number,
): [number, number, number] {
  const start = o * stride - pad;
  let first = 0;
  while (first < k && start + first * dilation < 0) first++;
  let end = k;
  while (end > first && start + (end - 1) * dilation >= size) end--;
  return [start, first, end];
}
