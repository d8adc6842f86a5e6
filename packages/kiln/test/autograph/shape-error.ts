// AutoGraph fixture: a shape error inside a converted branch of TypeScript (through tsx) must
// name the user's line and column, through the source map the rewrite composes with tsx's.
import { trace, tensor, add, mul, type Tensor } from 'kiln-jit';

const f = trace((x: Tensor, w: Tensor) => {
  let y = x;
  if (add(x.sum(), 1)) {
    y = mul(x, 2);
    y = add(y, w); // <- shape
  }
  return y;
});
try {
  f(tensor([1, 2]), tensor([1, 2, 3]));
  console.log(JSON.stringify({ error: null }));
} catch (e) {
  const err = e as Error & { location: { line: number; column: number } | null };
  console.log(JSON.stringify({ error: err.name, location: err.location }));
}
