// AutoGraph fixture: plain TypeScript control flow on tensors inside traced functions, loaded
// through `node --import kiln-jit/autograph` (see ../autograph.test.ts). Prints JSON results.
import { asTraced, trace, tensor, scalar, mul, add, sub, abs, type Tensor } from 'kiln-jit';

/** Doubles x when its sum is positive, else negates and shifts it. */
function branch(x: Tensor): Tensor {
  let y: Tensor;
  // @ts-expect-error TypeScript has no operator overloading: `>` on a Tensor is a type error, AutoGraph makes it greater().
  if (x.sum() > 0) {
    y = mul(x, 2);
  } else {
    y = sub(0, x);
    y = add(y, 1);
  }
  return y;
}

/** Halves r until its largest entry is at most tol; counts the halvings. */
function halve(r: Tensor, tol: Tensor): Tensor[] {
  let err = abs(r).max();
  let steps = 0;
  while (err > tol) {
    r = mul(r, 0.5);
    err = abs(r).max();
    steps = steps + 1;
  }
  return [r, steps as unknown as Tensor, err];
}

/** Applies y = 0.5 y + 1 n times (n a tensor). */
function repeat(y: Tensor, n: Tensor): Tensor {
  // @ts-expect-error as above
  for (let i = 0; i < n; i++) {
    y = add(mul(y, 0.5), 1);
  }
  return y;
}

/** The same branch as a decorated method: AutoGraph finds `@trace()` methods too. */
class Model {
  @trace()
  step(x: Tensor): Tensor {
    let y: Tensor;
    // @ts-expect-error as above
    if (x.sum() > 0) y = mul(x, 2);
    else y = add(sub(0, x), 1);
    return y;
  }
}
const model = new Model();

const tracedBranch = trace(branch);
const tracedHalve = trace(halve);
const tracedRepeat = trace(repeat);

const cases = {
  branch: [
    [1, 2, -0.5],
    [-1, -2, 0.5],
  ].map((v) => [tensor(v)]),
  halve: [
    [8, -3],
    [0.25, 0.1],
    [100, 1],
  ].map((v) => [tensor(v), scalar(0.5)]),
  repeat: [0, 3, 7].map((n) => [tensor([4, -2]), scalar(n, 'i32')]),
  method: [
    [1, 2, -0.5],
    [-1, -2, 0.5],
  ].map((v) => [tensor(v)]),
};
const plain = { branch, halve, repeat, method: branch } as Record<string, (...a: Tensor[]) => unknown>;
const traced = {
  branch: tracedBranch,
  halve: tracedHalve,
  repeat: tracedRepeat,
  method: asTraced(model.step),
} as Record<string, (...a: Tensor[]) => unknown>;
const values = (r: unknown): unknown => (Array.isArray(r) ? r.map(values) : Array.from((r as Tensor).dataSync()));
const out: Record<string, unknown> = {};
for (const [name, inputs] of Object.entries(cases)) {
  out[name] = {
    eager: inputs.map((args) => values(plain[name]!(...args))),
    traced: inputs.map((args) => values(traced[name]!(...args))),
    tracingCount: (traced[name] as unknown as { tracingCount: number }).tracingCount,
  };
}
console.log(JSON.stringify(out));
