/**
 * @file The window ops' rules, one entry each: conv2d and its input and filter gradients, max and
 * average pooling and their gradients. Shapes are NHWC for images and HWIO for filters, as in
 * TensorFlow; attributes are canonical (explicit padding), see window-api.ts for the user forms.
 */
import { KilnArgumentError, KilnGradientError, KilnShapeError } from '../errors.ts';
import { formatShape, shapesEqual } from '../shape.ts';
import { convWindow, effectiveSize, poolWindow, type Window2d } from '../window-geometry.ts';
import {
  avgPoolGradKernel,
  avgPoolKernel,
  conv2dBackpropFilterKernel,
  conv2dBackpropInputKernel,
  conv2dKernel,
  maxPoolGradKernel,
  maxPoolKernel,
} from '../kernels/window.ts';
import { bind } from '../context.ts';
import type { Conv2dAttrs, PoolAttrs, WindowOp } from './names.ts';
import type { OpRules } from './rules.ts';
import { checkArity, checkDType, isIntList, typesString, typeString, type TensorType } from './shape-rules.ts';

const isPositivePair = (xs: unknown): boolean => isIntList(xs, 2) && xs.every((x) => x >= 1);
const isPadding = (p: unknown): boolean =>
  Array.isArray(p) && p.length === 2 && p.every((pair) => isIntList(pair, 2) && pair.every((x) => x >= 0));

function checkImage(op: string, name: string, t: TensorType, inputs: readonly TensorType[]): void {
  checkDType(op, t, 'float');
  if (t.shape.length !== 4)
    throw new KilnShapeError(
      `${op}: ${name} must have rank 4 (${name === 'filter' ? 'HWIO' : 'NHWC'}), got ${typesString(inputs)}`,
    );
}

function checkGeometry(op: string, attrs: { strides: unknown; padding: unknown; dilations?: unknown }): void {
  if (!isPositivePair(attrs.strides))
    throw new KilnArgumentError(`${op}: strides must be two positive integers, got ${JSON.stringify(attrs.strides)}`);
  if (attrs.dilations !== undefined && !isPositivePair(attrs.dilations))
    throw new KilnArgumentError(
      `${op}: dilations must be two positive integers, got ${JSON.stringify(attrs.dilations)}`,
    );
  if (!isPadding(attrs.padding))
    throw new KilnArgumentError(
      `${op}: padding must be [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(attrs.padding)}`,
    );
}

/** The window must fit the padded input at least once along each axis. */
function checkFits(
  op: string,
  w: Window2d,
  padding: readonly (readonly number[])[],
  x: TensorType,
  dilated: boolean,
): void {
  if (w.outH >= 1 && w.outW >= 1) return;
  const [eh, ew] = [effectiveSize(w.kH, w.dilationH), effectiveSize(w.kW, w.dilationW)];
  const [ph, pw] = [w.inH + padding[0]![0]! + padding[0]![1]!, w.inW + padding[1]![0]! + padding[1]![1]!];
  throw new KilnShapeError(
    `${op}: window ${w.kH}x${w.kW}${dilated && (eh !== w.kH || ew !== w.kW) ? ` (dilated ${eh}x${ew})` : ''} ` +
      `is larger than the padded input ${ph}x${pw} of ${typeString(x)} (padding ${JSON.stringify(padding)})`,
  );
}

/** Checks conv2d's x and filter and returns the window. */
function convShape(
  op: string,
  x: TensorType,
  filter: TensorType,
  attrs: Conv2dAttrs,
  inputs: readonly TensorType[],
): Window2d {
  checkImage(op, 'x', x, inputs);
  checkImage(op, 'filter', filter, inputs);
  checkGeometry(op, attrs);
  if (x.shape[3] !== filter.shape[2]) {
    throw new KilnShapeError(
      `${op}: channels differ: x ${typeString(x)} has ${x.shape[3]} channels, filter ${typeString(filter)} expects ${filter.shape[2]}`,
    );
  }
  const w = convWindow(x.shape, filter.shape, attrs);
  checkFits(op, w, attrs.padding, x, true);
  return w;
}

function checkDy(op: string, dy: TensorType, w: Window2d, inputs: readonly TensorType[]): void {
  checkDType(op, dy, 'float');
  const want = [w.batch, w.outH, w.outW, w.outC];
  if (!shapesEqual(dy.shape, want))
    throw new KilnShapeError(`${op}: dy must be ${formatShape(want)} for this window, got ${typesString(inputs)}`);
}

function checkShapeAttr(op: string, name: string, shape: unknown, rank: number): asserts shape is number[] {
  if (!isIntList(shape, rank) || shape.some((d) => d < 1))
    throw new KilnArgumentError(`${op}: ${name} must be ${rank} positive integers, got ${JSON.stringify(shape)}`);
}

/**
 * The shape rule of a conv2d gradient: its output is x (from dy and the filter) or the filter
 * (from x and dy), of the shape its attributes give; dy must be conv2d's output for that pair.
 */
function convGradientShape(
  op: string,
  inputs: readonly TensorType[],
  attrs: Conv2dAttrs,
  output: 'x' | 'filter',
  shape: unknown,
): TensorType {
  checkArity(op, inputs, 2);
  checkShapeAttr(op, output === 'x' ? 'inputShape' : 'filterShape', shape, 4);
  const [dy, other] = (output === 'x' ? inputs : [inputs[1], inputs[0]]) as [TensorType, TensorType];
  const made = { shape, dtype: other.dtype };
  const [x, f] = output === 'x' ? [made, other] : [other, made];
  checkDy(op, dy, convShape(op, x, f, attrs, inputs), inputs);
  return made;
}

function poolShape(op: string, x: TensorType, attrs: PoolAttrs, inputs: readonly TensorType[]): Window2d {
  checkImage(op, 'x', x, inputs);
  if (!isPositivePair(attrs.windowShape))
    throw new KilnArgumentError(
      `${op}: windowShape must be two positive integers, got ${JSON.stringify(attrs.windowShape)}`,
    );
  checkGeometry(op, attrs);
  const [kh, kw] = attrs.windowShape as [number, number];
  const p = attrs.padding;
  // A window of padding alone would have no element to take.
  if (p[0]![0]! >= kh || p[0]![1]! >= kh || p[1]![0]! >= kw || p[1]![1]! >= kw)
    throw new KilnArgumentError(`${op}: padding ${JSON.stringify(p)} must be smaller than the window ${kh}x${kw}`);
  const w = poolWindow(x.shape, attrs);
  checkFits(op, w, p, x, false);
  return w;
}

const asType = (w: Window2d, shape?: readonly number[]): TensorType => ({
  shape: shape ?? [w.batch, w.outH, w.outW, w.outC],
  dtype: 'f32',
});

const convAttrs = ({ strides, padding, dilations }: Conv2dAttrs): Conv2dAttrs => ({ strides, padding, dilations });
const poolAttrs = ({ windowShape, strides, padding }: PoolAttrs): PoolAttrs => ({ windowShape, strides, padding });

const secondOrderMaxPool = (): never => {
  throw new KilnGradientError('maxPoolGrad: the second derivative of maxPool is not supported');
};

export const windowRules: { readonly [K in WindowOp]: OpRules<K> } = {
  conv2d: {
    shape: (inputs, attrs) => {
      checkArity('conv2d', inputs, 2);
      return asType(convShape('conv2d', inputs[0]!, inputs[1]!, attrs, inputs));
    },
    kernel: ([x, f], attrs, out) => conv2dKernel(x!, f!, convWindow(x!.shape, f!.shape, attrs), out),
    vjp: (g, [x, f], _y, attrs, needs) => [
      needs[0] ? bind('conv2dBackpropInput', [g, f!], { ...convAttrs(attrs), inputShape: [...x!.shape] }) : null,
      needs[1] ? bind('conv2dBackpropFilter', [x!, g], { ...convAttrs(attrs), filterShape: [...f!.shape] }) : null,
    ],
  },
  conv2dBackpropInput: {
    shape: (inputs, attrs) => convGradientShape('conv2dBackpropInput', inputs, attrs, 'x', attrs.inputShape),
    kernel: ([dy, f], attrs, out) =>
      conv2dBackpropInputKernel(dy!, f!, convWindow(attrs.inputShape, f!.shape, attrs), out),
    vjp: (g, [dy, f], _dx, attrs, needs) => [
      needs[0] ? bind('conv2d', [g, f!], convAttrs(attrs)) : null,
      needs[1] ? bind('conv2dBackpropFilter', [g, dy!], { ...convAttrs(attrs), filterShape: [...f!.shape] }) : null,
    ],
  },
  conv2dBackpropFilter: {
    shape: (inputs, attrs) => convGradientShape('conv2dBackpropFilter', inputs, attrs, 'filter', attrs.filterShape),
    kernel: ([x, dy], attrs, out) =>
      conv2dBackpropFilterKernel(x!, dy!, convWindow(x!.shape, attrs.filterShape, attrs), out),
    vjp: (g, [x, dy], _df, attrs, needs) => [
      needs[0] ? bind('conv2dBackpropInput', [dy!, g], { ...convAttrs(attrs), inputShape: [...x!.shape] }) : null,
      needs[1] ? bind('conv2d', [x!, g], convAttrs(attrs)) : null,
    ],
  },
  maxPool: {
    shape: (inputs, attrs) => {
      checkArity('maxPool', inputs, 1);
      return asType(poolShape('maxPool', inputs[0]!, attrs, inputs));
    },
    kernel: ([x], attrs, out) => maxPoolKernel(x!, poolWindow(x!.shape, attrs), out),
    vjp: (g, [x], _y, attrs) => [bind('maxPoolGrad', [x!, g], poolAttrs(attrs))],
  },
  avgPool: {
    shape: (inputs, attrs) => {
      checkArity('avgPool', inputs, 1);
      return asType(poolShape('avgPool', inputs[0]!, attrs, inputs));
    },
    kernel: ([x], attrs, out) => avgPoolKernel(x!, poolWindow(x!.shape, attrs), out),
    vjp: (g, [x], _y, attrs) => [bind('avgPoolGrad', [g], { ...poolAttrs(attrs), inputShape: [...x!.shape] })],
  },
  maxPoolGrad: {
    shape: (inputs, attrs) => {
      checkArity('maxPoolGrad', inputs, 2);
      const [x, dy] = inputs as [TensorType, TensorType];
      checkDy('maxPoolGrad', dy, poolShape('maxPoolGrad', x, attrs, inputs), inputs);
      return x;
    },
    kernel: ([x, dy], attrs, out) => maxPoolGradKernel(x!, dy!, poolWindow(x!.shape, attrs), out),
    vjp: (_g, _inputs, _dx, _attrs, needs) => (needs[1] ? secondOrderMaxPool() : [null, null]),
  },
  avgPoolGrad: {
    shape: (inputs, attrs) => {
      checkArity('avgPoolGrad', inputs, 1);
      checkShapeAttr('avgPoolGrad', 'inputShape', attrs.inputShape, 4);
      const x = { shape: attrs.inputShape, dtype: inputs[0]!.dtype };
      checkDy('avgPoolGrad', inputs[0]!, poolShape('avgPoolGrad', x, attrs, inputs), inputs);
      return x;
    },
    kernel: ([dy], attrs, out) => avgPoolGradKernel(dy!, poolWindow(attrs.inputShape, attrs), out),
    vjp: (g, _inputs, _dx, attrs) => [bind('avgPool', [g], poolAttrs(attrs))],
  },
};
