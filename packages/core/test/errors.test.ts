/**
 * Misuse: each case checks the error class, the message word for word, and that the error points
 * at the line of the call in this file. `lineHere()` sits on the same line as the failing call.
 */
import { describe, expect, it } from '@jest/globals';
import {
  adam,
  add,
  gather,
  grad,
  interpreterStack,
  KilnArgumentError,
  KilnDTypeError,
  KilnError,
  KilnGradientError,
  KilnShapeError,
  matmul,
  max,
  mul,
  ones,
  relu,
  reshape,
  sgd,
  sum,
  tensor,
  Variable,
  where,
  zeros,
  type Tensor,
} from '../src/index.ts';
import { caught, expectTensor, lineHere } from './helpers.ts';

function expectKilnError(err: KilnError, cls: new (...args: never[]) => KilnError, detail: string, line: number): void {
  expect(err).toBeInstanceOf(cls);
  expect(err.name).toBe(cls.name);
  expect(err.detail).toBe(detail);
  expect(err.location?.line).toBe(line);
  expect(err.location?.file).toMatch(/errors\.test\.ts$/);
  // The message carries the location so an uncaught error shows the user's line.
  expect(err.message).toBe(`${detail}\n    at ${err.location!.file}:${line}:${err.location!.column}`);
}

const x23 = ones([2, 3]);

describe("misuse is a clear error at the user's line", () => {
  it('add with shapes that do not broadcast', () => {
    const [err, line] = [caught(() => add(x23, ones([4]))), lineHere()];
    expectKilnError(err, KilnShapeError, 'add: shapes f32[2,3], f32[4] cannot be broadcast together', line);
  });

  it('matmul with mismatched inner dimensions', () => {
    const [err, line] = [caught(() => matmul(x23, ones([2, 5]))), lineHere()];
    expectKilnError(err, KilnShapeError, 'matmul: inner dimensions differ: f32[2,3], f32[2,5] gives 3 vs 2', line);
  });

  it('an axis out of range', () => {
    const [err, line] = [caught(() => sum(x23, 2)), lineHere()];
    expectKilnError(err, KilnArgumentError, 'sum: axis 2 is out of range for f32[2,3] (rank 2)', line);
    const [err2, line2] = [caught(() => max(x23, -3)), lineHere()];
    expectKilnError(err2, KilnArgumentError, 'max: axis -3 is out of range for f32[2,3] (rank 2)', line2);
  });

  it('reshape to a different size', () => {
    const [err, line] = [caught(() => reshape(x23, [5])), lineHere()];
    expectKilnError(err, KilnShapeError, 'reshape: cannot reshape f32[2,3] (6 elements) to [5] (5 elements)', line);
  });

  it('add of f32 and i32', () => {
    const [err, line] = [caught(() => add(x23, ones([2, 3], 'i32'))), lineHere()];
    expectKilnError(
      err,
      KilnDTypeError,
      'add: dtypes differ: f32[2,3] and i32[2,3]; cast one with cast(x, dtype)',
      line,
    );
  });

  it('grad of a function with a non-scalar output', () => {
    const [err, line] = [caught(() => grad((x: Tensor) => mul(x, 2))(x23)), lineHere()];
    expectKilnError(
      err,
      KilnGradientError,
      'grad: the function must return a scalar f32 tensor to differentiate, got f32[2,3]; reduce it first, e.g. with sum() or mean()',
      line,
    );
  });

  it('grad with respect to an i32 input, or with argnums out of range', () => {
    const [err, line] = [caught(() => grad((x: Tensor) => sum(x))(ones([2], 'i32'))), lineHere()];
    expectKilnError(err, KilnGradientError, 'grad: input is i32[2]; only f32 tensors can be differentiated', line);
    const [err2, line2] = [caught(() => grad((x: Tensor) => sum(x), 1)(x23)), lineHere()];
    expectKilnError(err2, KilnGradientError, 'grad: argnums 1 is out of range for a call with 1 argument(s)', line2);
  });

  it('an error inside a differentiated function points at its line inside the function', () => {
    const fLine = lineHere() + 1;
    const f = (x: Tensor) => sum(add(x, ones([5])));
    const err = caught(() => grad(f)(x23));
    expectKilnError(err, KilnShapeError, 'add: shapes f32[2,3], f32[5] cannot be broadcast together', fLine);
    // The gradient tape was removed: only the eager interpreter is left.
    expect(interpreterStack()).toHaveLength(1);
  });

  it.each<[string, unknown, string]>([
    ['a string', 'abc', 'string "abc"'],
    ['a plain object', {}, 'an object (Object)'],
    ['null', null, 'null'],
    ['undefined', undefined, 'undefined'],
    ['a function', () => 1, 'a function'],
    ['a bigint', 1n, 'bigint 1'],
  ])('a non-tensor argument: %s', (_name, value, described) => {
    const [err, line] = [caught(() => add(x23, value as never)), lineHere()];
    expectKilnError(
      err,
      KilnArgumentError,
      `add: second argument must be a tensor, variable, number or array; got ${described}`,
      line,
    );
  });

  it('a non-tensor first argument and a non-bool condition', () => {
    const [err, line] = [caught(() => relu(new Date(0) as never)), lineHere()];
    expectKilnError(
      err,
      KilnArgumentError,
      'relu: argument must be a tensor, variable, number or array; got an object (Date)',
      line,
    );
    const [err2, line2] = [caught(() => where(x23, 1, 0)), lineHere()];
    expectKilnError(err2, KilnDTypeError, 'where: condition must be bool, got f32[2,3]', line2);
  });

  it('ragged nested arrays', () => {
    const [err, line] = [caught(() => tensor([[1, 2], [3]])), lineHere()];
    expectKilnError(err, KilnShapeError, 'tensor: nested arrays are ragged at depth 1: expected length 2, got 1', line);
    const [err2, line2] = [caught(() => tensor([[1, 2], 3] as never)), lineHere()];
    expectKilnError(
      err2,
      KilnShapeError,
      'tensor: nested arrays are ragged at depth 1: expected length 2, got a scalar',
      line2,
    );
  });

  it('a gather index out of range', () => {
    const [err, line] = [caught(() => gather(x23, [0, 2])), lineHere()];
    expectKilnError(err, KilnArgumentError, 'gather: index 2 is out of range [0, 2) for f32[2,3]', line);
  });

  it('NaN in the data is not an error: it passes through', () => {
    const y = add(tensor([NaN, 1]), tensor([1, Infinity]));
    expectTensor(y, [2], [NaN, Infinity]);
    expectTensor(relu(tensor([NaN])), [1], [NaN]);
  });
});

describe('a failed operation changes nothing', () => {
  it('assign with the wrong shape or dtype leaves the variable unchanged', () => {
    const v = new Variable(tensor([1, 2, 3]), { name: 'w' });
    const before = v.value;
    const [err, line] = [caught(() => v.assign(zeros([2]))), lineHere()];
    expectKilnError(err, KilnShapeError, "assign: variable 'w' is f32[3], cannot assign f32[2]", line);
    const [err2, line2] = [caught(() => v.assign(zeros([3], 'i32'))), lineHere()];
    expectKilnError(err2, KilnDTypeError, "assign: variable 'w' is f32[3], cannot assign i32[3]", line2);
    const [err3, line3] = [caught(() => v.assign([1, 2, 3] as never)), lineHere()];
    expectKilnError(err3, KilnArgumentError, "assign: variable 'w' needs a Tensor, got object", line3);
    expect(v.value).toBe(before);
    expect(v.version).toBe(0);
    expectTensor(v.value, [3], [1, 2, 3]);
  });

  it('an optimizer given grads of another structure changes no variable', () => {
    const a = new Variable(tensor([1, 2]), { name: 'a' });
    const b = new Variable(tensor([3, 4]), { name: 'b' });
    const opt = sgd({ learningRate: 0.1 });
    // Same leaf count and shapes, other key order: pairing by position would swap the updates.
    const [err, line] = [caught(() => opt.apply({ a, b }, { b: ones([2]), a: zeros([2]) })), lineHere()];
    expectKilnError(
      err,
      KilnArgumentError,
      'optimizer: grads have structure {"b":*,"a":*} but params have {"a":*,"b":*}',
      line,
    );
    const [err2, line2] = [caught(() => opt.apply({ a, b }, [ones([2]), ones([2])])), lineHere()];
    expectKilnError(
      err2,
      KilnArgumentError,
      'optimizer: grads have structure [*,*] but params have {"a":*,"b":*}',
      line2,
    );
    expectTensor(a.value, [2], [1, 2]);
    expectTensor(b.value, [2], [3, 4]);
  });

  it('an optimizer stops before any update when a later gradient does not fit', () => {
    const a = new Variable(tensor([1, 2]), { name: 'a' });
    const b = new Variable(tensor([3, 4]), { name: 'b' });
    const opt = adam({ learningRate: 0.1 });
    const [err, line] = [caught(() => opt.apply([a, b], [ones([2]), ones([3])])), lineHere()];
    expectKilnError(err, KilnArgumentError, "optimizer: gradient f32[3] does not match variable 'b' f32[2]", line);
    const [err2, line2] = [caught(() => opt.apply([a, b], [ones([2]), 'g'])), lineHere()];
    expectKilnError(err2, KilnArgumentError, 'optimizer: grads leaf [1] is not a Tensor', line2);
    const [err3, line3] = [caught(() => opt.apply({ a, b: ones([2]) }, { a: ones([2]), b: ones([2]) })), lineHere()];
    expectKilnError(err3, KilnArgumentError, 'optimizer: params leaf b is not a Variable', line3);
    expectTensor(a.value, [2], [1, 2]);
    expectTensor(b.value, [2], [3, 4]);
    expect(a.version).toBe(0);
    expect(opt.state.size).toBe(0);
  });

  it('a fractional number meeting an i32 tensor is a dtype error, not a silent truncation', () => {
    const ints = tensor([1, 2], undefined, 'i32');
    const [err, line] = [caught(() => add(ints, 2.5)), lineHere()];
    expectKilnError(
      err,
      KilnDTypeError,
      'add: second argument 2.5 is not an integer but meets an i32 tensor; cast the tensor with cast(x, "f32") first',
      line,
    );
    const [err2, line2] = [caught(() => gather(tensor([1, 2, 3]), [0.7])), lineHere()];
    expectKilnError(
      err2,
      KilnDTypeError,
      'gather: indices 0.7 is not an integer but meets an i32 tensor; cast the tensor with cast(x, "f32") first',
      line2,
    );
    expectTensor(add(ints, 2), [2], [3, 4]);
  });
});
