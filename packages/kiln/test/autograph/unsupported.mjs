// AutoGraph fixture, plain JS: constructs that cannot be converted inside tensor-dependent
// control flow (each must fail at its own line, marked `// <- name`), and conditions on plain
// JS values, which must behave as JS. Loaded through the hook by ../autograph.test.ts.
import { trace, tensor, scalar, add, mul } from 'kiln-jit';

const bad = {
  return: trace((x) => {
    if (x.sum() > 0) {
      return mul(x, 2); // <- return
    }
    return x;
  }),
  break: trace((x) => {
    while (x.sum() < 100) {
      x = mul(x, 2);
      if (x.sum() > 50) break; // <- break
    }
    return x;
  }),
  continue: trace((x, n) => {
    for (let i = 0; i < n; i++) {
      continue; // <- continue
    }
    return x;
  }),
  await: trace(async (x) => {
    if (x.sum() > 0) {
      x = await Promise.resolve(x); // <- await
    }
    return x;
  }),
  mutation: trace((x) => {
    const out = { y: x };
    if (x.sum() > 0) {
      out.y = mul(x, 2); // <- mutation
    }
    return out.y;
  }),
};

// Plain JS values in conditions: the converted code must do exactly what JS does.
const plain = trace((x, mode) => {
  let acc = 0;
  for (let i = 0; i < 4; i++) acc += i * 2;
  let label = mode > 1 && mode < 5 ? 'mid' : 'other';
  if (!mode || typeof mode !== 'number') label = 'none';
  let halves = 0;
  let m = mode;
  while (m > 1) {
    m = m / 2;
    halves++;
  }
  const scale = acc - halves + (label === 'mid' ? 100 : 0);
  return add(x, scale);
});

const results = {};
for (const [name, fn] of Object.entries(bad)) {
  try {
    await fn(tensor([1, 2]), scalar(2, 'i32'));
    results[name] = { error: null };
  } catch (e) {
    results[name] = { error: e.name, message: e.message, line: e.location?.line ?? null };
  }
}
results.plain = [0, 3, 8].map((mode) => Array.from(plain(tensor([1, 2]), mode).dataSync()));
console.log(JSON.stringify(results));
