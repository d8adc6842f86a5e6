/**
 * @file The window op functions users call: conv2d, maxPool and avgPool with TensorFlow's options
 * (NHWC images, HWIO filters; strides and dilations as a number or [h, w]; padding 'same',
 * 'valid' or explicit pairs), normalized to the canonical attributes the IR stores.
 */
import { KilnArgumentError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { bind } from '../context.ts';
import { samePadding } from '../window-geometry.ts';
import { asTensor, type TensorLike } from './convert.ts';

/**
 * 'same' (TensorFlow's: ceil(size / stride) outputs), 'valid' (no padding), explicit
 * [[top, bottom], [left, right]], or NHWC pairs as tfjs takes them:
 * [[0, 0], [top, bottom], [left, right], [0, 0]].
 */
export type Padding = 'same' | 'valid' | readonly (readonly number[])[];

/** One number for both axes, or [h, w]. */
export type Pair = number | readonly number[];

export interface Conv2dOptions {
  /** Step between windows, [h, w] or one number for both (default 1). */
  strides?: Pair;
  /** Default 'valid'. */
  padding?: Padding;
  /** Spacing of the filter taps (atrous convolution), [h, w] or one number (default 1). */
  dilations?: Pair;
}

export interface PoolOptions {
  /** The window, [h, w] or one number for both. */
  windowShape: Pair;
  /** Default: the window shape (non-overlapping windows), as in Keras and tfjs. */
  strides?: Pair;
  /** Default 'valid'. */
  padding?: Padding;
}

function pair(op: string, name: string, v: number | readonly number[] | undefined, dflt: number[]): number[] {
  if (v === undefined) return dflt;
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v)) return [...v];
  throw new KilnArgumentError(`${op}: ${name} must be a number or [h, w], got ${JSON.stringify(v)}`);
}

function resolvePadding(
  op: string,
  padding: Padding | undefined,
  x: Tensor,
  window: number[],
  strides: number[],
  dilations: number[],
): [number, number][] {
  if (padding === undefined || padding === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (padding === 'same') {
    // Shape rules report a wrong rank; any padding will do until then.
    if (x.rank !== 4 || window.some((k) => !Number.isInteger(k)))
      return [
        [0, 0],
        [0, 0],
      ];
    return [0, 1].map((a) => samePadding(x.shape[a + 1]!, window[a]!, strides[a]!, dilations[a]!));
  }
  if (Array.isArray(padding) && padding.length === 4) {
    const [n, h, w, c] = padding as readonly (readonly number[])[];
    if (n?.[0] === 0 && n[1] === 0 && c?.[0] === 0 && c[1] === 0) return [[...h!], [...w!]] as [number, number][];
  }
  if (Array.isArray(padding) && padding.length === 2 && padding.every((p) => Array.isArray(p)))
    return padding.map((p) => [...p]) as [number, number][];
  throw new KilnArgumentError(
    `${op}: padding must be 'same', 'valid', [[top, bottom], [left, right]] or ` +
      `[[0, 0], [top, bottom], [left, right], [0, 0]], got ${JSON.stringify(padding)}`,
  );
}

/**
 * 2-D convolution (cross-correlation, as in every framework) of `x` [batch, height, width,
 * inChannels] with `filter` [filterHeight, filterWidth, inChannels, outChannels].
 */
export function conv2d(x: TensorLike, filter: TensorLike, options: Conv2dOptions = {}): Tensor {
  const xt = asTensor(x, 'conv2d', 'x');
  const ft = asTensor(filter, 'conv2d', 'filter');
  const strides = pair('conv2d', 'strides', options.strides, [1, 1]);
  const dilations = pair('conv2d', 'dilations', options.dilations, [1, 1]);
  const padding = resolvePadding('conv2d', options.padding, xt, ft.shape.slice(0, 2), strides, dilations);
  return bind('conv2d', [xt, ft], { strides, padding, dilations });
}

function pool(op: 'maxPool' | 'avgPool', x: TensorLike, options: PoolOptions): Tensor {
  const xt = asTensor(x, op);
  const windowShape = pair(op, 'windowShape', options?.windowShape, [NaN, NaN]);
  const strides = pair(op, 'strides', options.strides, windowShape);
  const padding = resolvePadding(op, options.padding, xt, windowShape, strides, [1, 1]);
  return bind(op, [xt], { windowShape, strides, padding });
}

/** The maximum of each window of `x` [batch, height, width, channels], per channel. */
export const maxPool = (x: TensorLike, options: PoolOptions): Tensor => pool('maxPool', x, options);

/** The mean of each window of `x` [batch, height, width, channels]; padding is not counted (as in TF). */
export const avgPool = (x: TensorLike, options: PoolOptions): Tensor => pool('avgPool', x, options);
