/**
 * The planned-graph cache (planned-graph-cache.ts): a new trace whose graph prints as an earlier
 * one's takes the planned graph from disk instead of running the passes and computes the same
 * values; its JSON form keeps every graph exactly (fused bodies, control-flow regions, captured
 * constants, variables updated in place, numbers JSON has no text for); a damaged, swapped or
 * misfitting entry is rejected with one warning and rewritten; a changed graph never hits; and
 * locations are the new trace's.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k from '@kiln-jit/core';
import { memoryPlanOf, printGraph, trace, verifyGraph, type Graph } from '@kiln-jit/tracer';
import { cacheKey, entryChecksum } from '../src/compile-cache.ts';
import { codegenOptions } from '../src/codegen-options.ts';
import { walkNodes } from '../src/emit.ts';
import { plannedFromJson, plannedToJson, type PlannedJson } from '../src/planned-graph-json.ts';
import { compileStats } from '../src/index.ts';
import { useTempCache } from './support/temp-cache.ts';

const { dir, warnings, warnSpy } = useTempCache('kiln-plan-cache-test-');

const plans = () => readdirSync(dir).filter((f) => f.endsWith('.kplan'));
const values = (t: k.Tensor) => Array.from(t.dataSync());

// Programs whose planned graphs cover what the JSON form has to keep.
const table = k.tensor(Array.from({ length: 80 }, (_, i) => Math.sin(i))); // captured: a const param
const layer = k.variable(
  k.tensor(
    Array.from({ length: 24 }, (_, i) => Math.cos(i) / 4),
    [6, 4],
  ),
  { name: 'w' },
);
const sgdStep = (x: k.Tensor) => {
  const [loss, grads] = k.valueAndGrad((w: k.Tensor) => k.mean(k.square(k.tanh(k.matmul(x, w)))))(layer.value);
  layer.assign(k.sub(layer.value, k.mul(grads, 0.1)));
  return loss;
};
const specialNumbers = (x: k.Tensor) =>
  k.add(k.maximum(x, -Infinity), k.add(k.mul(x, -0), k.where(k.greater(x, 10), k.scalar(NaN), k.scalar(Infinity))));
const controlFlow = (x: k.Tensor) =>
  k.cond(
    k.greater(k.sum(x), 0),
    () =>
      k.whileLoop(
        (s: k.Tensor) => k.less(k.sum(s), 100),
        (s: k.Tensor) => k.mul(s, 2),
        k.abs(x),
      ),
    () => k.neg(x),
  );
const withConstant = (i: k.Tensor) => k.mul(k.gather(table, i), 3);
const programs: [string, (x: k.Tensor) => k.Tensor, () => k.Tensor][] = [
  [
    'an SGD step (gradients, a variable updated in place)',
    sgdStep,
    () => k.reshape(k.tensor([...Array(18).keys()].map((i) => i / 9 - 1)), [3, 6]),
  ],
  ['±Infinity, NaN and -0 constants', specialNumbers, () => k.tensor([-3, 0.5, 12])],
  ['cond and whileLoop regions', controlFlow, () => k.tensor([1, -2, 3])],
  ['a captured constant', withConstant, () => k.tensor([0, 79, 5], undefined, 'i32')],
];

/** The final (planned) graph of a fresh trace of `fn` at `x`. */
const plannedOf = (fn: (x: k.Tensor) => k.Tensor, x: k.Tensor): Graph => {
  const stages = trace(fn, { backend: 'wasm' }).stages(x) as readonly { graph: Graph }[];
  return stages.at(-1)!.graph;
};

/** The graph through JSON text and back, its locations by node position. */
function roundTrip(g: Graph): Graph {
  const nodes = walkNodes(g);
  const json = JSON.stringify(plannedToJson(g, memoryPlanOf(g)!, (n) => nodes.indexOf(n)));
  const tensors = new Map(g.params.map((p) => [p.name, p.data]));
  return plannedFromJson(
    JSON.parse(json) as PlannedJson,
    (name) => tensors.get(name),
    (i) => nodes[i]?.loc ?? null,
  );
}

describe('the planned-graph JSON form', () => {
  it.each(programs)('keeps %s exactly', (_, fn, input) => {
    const planned = plannedOf(fn, input());
    const back = roundTrip(planned);
    verifyGraph(back);
    // (The memory plan's print notes are for the printed stage, which a hit makes afresh.)
    const print = (g: Graph) => printGraph(g, { loc: true, notes: new Map() });
    expect(print(back)).toBe(print(planned));
    // The module key covers the plan by value name; the JSON text covers all of it.
    const options = codegenOptions();
    expect(cacheKey(back, memoryPlanOf(back)!, options)).toBe(cacheKey(planned, memoryPlanOf(planned)!, options));
    const text = (g: Graph) => JSON.stringify(plannedToJson(g, memoryPlanOf(g)!, () => -1));
    expect(text(back)).toBe(text(planned));
    // The values are this process's own: none is shared with the graph it came from.
    const ids = (g: Graph) => new Set(walkNodes(g).map((n) => n.output.id));
    const before = ids(planned);
    expect([...ids(back)].some((id) => before.has(id))).toBe(false);
    expect(back.params.filter((p) => p.kind === 'const').map((p) => p.data)).toEqual(
      planned.params.filter((p) => p.kind === 'const').map((p) => p.data),
    );
  });

  it('writes ±Infinity, NaN and -0 as markers and reads them back', () => {
    const planned = plannedOf(specialNumbers, k.tensor([1]));
    const text = JSON.stringify(plannedToJson(planned, memoryPlanOf(planned)!, () => -1));
    expect(text).toContain('{"n":"-Infinity"}');
    expect(text).toContain('{"n":"NaN"}');
    expect(text).toContain('{"n":"-0"}');
    const constants = walkNodes(roundTrip(planned))
      .filter((n) => n.op === 'constant')
      .map((n) => n.attrs.value);
    expect(constants).toEqual(expect.arrayContaining([-Infinity, NaN, -0, Infinity]));
  });
});

/** A fresh trace of `fn` (its own in-memory cache) run at `x`: the values and the cache counters after. */
const freshRun = (fn: (x: k.Tensor) => k.Tensor, x: k.Tensor) => {
  const f = trace(fn, { backend: 'wasm' });
  const y = values(f(x));
  return { f, y, plans: compileStats().plans };
};
const affine = (x: k.Tensor) => k.tanh(k.add(k.matmul(x, k.reshape(table.slice([0], [24]), [4, 6])), 1));
const input = k.reshape(k.tensor([...Array(8).keys()].map((i) => Math.cos(i))), [2, 4]);

describe('the planned-graph cache', () => {
  it('keeps a planned graph, and a new trace that prints the same runs it without the passes', () => {
    rmSync(dir, { recursive: true, force: true });
    const first = freshRun(affine, input);
    expect(plans()).toHaveLength(1);
    const second = freshRun(affine, input);
    expect(second.plans.hits).toBe(first.plans.hits + 1);
    expect(second.plans.writes).toBe(first.plans.writes);
    expect(second.y).toEqual(first.y);
    values(affine(input)).forEach((v, i) => expect(second.y[i]).toBeCloseTo(v, 5));
    // The module came from the compile cache under the key the entry holds.
    expect(second.f.inspect(input).stats.fromCache).toBe(1);
    // The stages are made again when asked for, as the first trace had them.
    for (const stage of ['traced', 'optimized', 'fused', 'planned']) {
      expect(second.f.ir(input, { stage })).toBe(first.f.ir(input, { stage }));
    }
  });

  it('runs SGD steps from a kept plan as from a fresh one, variable updated in place', () => {
    rmSync(dir, { recursive: true, force: true });
    const x = programs[0]![2]();
    const start = layer.value;
    const run = () => {
      layer.assign(start);
      const f = trace(sgdStep, { backend: 'wasm' });
      const losses = [0, 1, 2].map(() => Number(f(x).item()));
      return { losses, w: values(layer.value) };
    };
    const fresh = run();
    const hits = compileStats().plans.hits;
    const kept = run();
    expect(compileStats().plans.hits).toBe(hits + 1);
    expect(kept).toEqual(fresh);
    expect(fresh.losses[2]!).toBeLessThan(fresh.losses[0]!);
  });

  it('never hits for a changed graph', () => {
    rmSync(dir, { recursive: true, force: true });
    freshRun(affine, input);
    const misses = compileStats().plans.misses;
    const other = freshRun((x) => k.sigmoid(k.add(k.matmul(x, k.reshape(table.slice([0], [24]), [4, 6])), 1)), input);
    expect(other.plans.misses).toBe(misses + 1);
    values(k.sigmoid(k.add(k.matmul(input, k.reshape(table.slice([0], [24]), [4, 6])), 1))).forEach((v, i) =>
      expect(other.y[i]).toBeCloseTo(v, 5),
    );
    expect(plans()).toHaveLength(2);
  });

  const entryOf = (fn: (x: k.Tensor) => k.Tensor, x: k.Tensor): string => {
    const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
    freshRun(fn, x);
    const added = plans().filter((f) => !before.has(f));
    expect(added).toHaveLength(1);
    return join(dir, added[0]!);
  };

  /** An entry with its payload replaced by `payload`, the header's checksum made to match. */
  function withPayload(entry: Buffer, payload: Buffer): Buffer {
    const length = entry.readUInt32LE(8);
    const header = JSON.parse(entry.toString('utf8', 12, 12 + length)) as { meta: unknown; checksum: string };
    header.checksum = entryChecksum(JSON.stringify(header.meta), payload);
    const text = Buffer.from(JSON.stringify(header), 'utf8');
    const prefix = Buffer.from(entry.subarray(0, 12));
    prefix.writeUInt32LE(text.length, 8);
    return Buffer.concat([prefix, text, payload]);
  }
  const payloadOf = (entry: Buffer): Buffer => entry.subarray(12 + entry.readUInt32LE(8));

  const damage: [string, (entry: Buffer, other: Buffer) => Buffer, RegExp][] = [
    [
      'a flipped byte',
      (e) => Buffer.concat([e.subarray(0, e.length - 5), Buffer.from('#'), e.subarray(e.length - 4)]),
      /checksum mismatch/,
    ],
    ['a truncated file', (e) => e.subarray(0, 20), /truncated|unreadable header/],
    ["another graph's entry under this key", (_, other) => other, /holds the planned graph of another graph/],
    [
      "another graph's plan with a matching checksum",
      (e, other) => withPayload(e, payloadOf(other)),
      /does not fit this trace/,
    ],
    ['a payload that is not JSON', (e) => withPayload(e, Buffer.from('{"graph":')), /does not fit this trace/],
  ];

  it.each(damage)('rejects %s with one warning, runs the passes and rewrites the entry', (_, spoil, why) => {
    rmSync(dir, { recursive: true, force: true });
    const path = entryOf(affine, input);
    const otherPath = entryOf((x) => k.relu(k.matmul(x, k.reshape(table.slice([0], [8]), [4, 2]))), input);
    const good = readFileSync(path);
    writeFileSync(path, spoil(good, readFileSync(otherPath)));
    warnSpy();
    const rejected = compileStats().plans.rejected;
    const run = freshRun(affine, input);
    expect(warnings()).toEqual([
      expect.stringMatching(
        new RegExp(`^kiln: ignoring planned-graph cache entry .*\\.kplan: .*; running the passes$`),
      ),
    ]);
    expect(warnings()[0]).toMatch(why);
    expect(run.plans.rejected).toBe(rejected + 1);
    values(affine(input)).forEach((v, i) => expect(run.y[i]).toBeCloseTo(v, 5));
    // Rewritten: the next trace hits it.
    const hits = compileStats().plans.hits;
    freshRun(affine, input);
    expect(compileStats().plans.hits).toBe(hits + 1);
  });

  it("takes the locations from the new trace: a run-time error names the new function's line", () => {
    rmSync(dir, { recursive: true, force: true });
    const lineOf = (e: unknown) => (e as k.KilnError).location?.line;
    const bad = k.tensor([1, 99], undefined, 'i32');
    // Two functions that trace to the same graph (both named `fn`), written on different lines.
    const lineHere = (): number => Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split('\n')[2]!)![1]);
    const first = { line: lineHere(), fn: (i: k.Tensor) => k.mul(k.gather(table, i), 3) };
    const second = { line: lineHere(), fn: (i: k.Tensor) => k.mul(k.gather(table, i), 3) };
    const caught = (fn: (i: k.Tensor) => k.Tensor) => {
      const f = trace(fn, { backend: 'wasm' });
      f(k.tensor([1, 2], undefined, 'i32'));
      try {
        f(bad);
      } catch (e) {
        return e;
      }
      throw new Error('no error');
    };
    const a = caught(first.fn);
    const hits = compileStats().plans.hits;
    const b = caught(second.fn);
    expect(compileStats().plans.hits).toBe(hits + 1);
    expect(String(b)).toMatch(/gather: index 99 is out of range \[0, 80\)/);
    expect(second.line).toBe(first.line + 1);
    expect([lineOf(a), lineOf(b)]).toEqual([first.line, second.line]);
  });

  it('is off with KILN_CACHE=0', () => {
    rmSync(dir, { recursive: true, force: true });
    process.env.KILN_CACHE = '0';
    try {
      const before = compileStats().plans;
      freshRun(affine, input);
      expect(compileStats().plans).toEqual(before);
    } finally {
      process.env.KILN_CACHE = '1';
    }
    expect(() => readdirSync(dir)).toThrow();
  });
});
