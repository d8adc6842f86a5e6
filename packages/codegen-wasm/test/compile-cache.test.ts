/**
 * The persistent compile cache, in this process: a second trace of the same graph loads its
 * module from disk (Binaryen skipped) and computes the same values; damaged, truncated, stale,
 * swapped and misfitting entries are each rejected with one warning, recompiled and rewritten;
 * a changed graph never hits another graph's entry. (The packed-package test checks the other
 * half: a second process whose first call loads from the cache never loads Binaryen.)
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k from '@kiln-jit/core';
import { trace } from '@kiln-jit/tracer';
import { entryChecksum } from '../src/compile-cache.ts';
import { compileStats } from '../src/index.ts';
import { useTempCache } from './support/temp-cache.ts';

const { dir, warnings, warnSpy } = useTempCache('kiln-cache-test-');

const entries = () => readdirSync(dir).filter((f) => f.endsWith('.kwasm'));
const values = (t: k.Tensor) => Array.from(t.dataSync());
const ramp = (n: number, scale: number) => k.tensor(Array.from({ length: n }, (_, i) => Math.sin(i * scale)));
const affine = (w: k.Tensor) => (x: k.Tensor) => k.tanh(k.add(k.matmul(x, w), 1));
const weights = k.tensor(
  Array.from({ length: 48 }, (_, i) => Math.cos(i)),
  [8, 6],
);
const input = k.reshape(ramp(32, 0.3), [4, 8]);
/** Traces the same function afresh (a new trace() has its own in-memory cache). */
const freshRun = (x = input) => {
  const f = trace(affine(weights), { backend: 'wasm' });
  const y = f(x);
  return { y: values(y), stats: f.inspect(x).stats };
};
const expected = values(affine(weights)(input));

/** The entry that `run` writes, starting from an empty cache. */
function onlyEntry(run: () => void): string {
  rmSync(dir, { recursive: true, force: true });
  run();
  expect(entries()).toHaveLength(1);
  return join(dir, entries()[0]!);
}

describe('the persistent compile cache', () => {
  it('stores a module, and a new trace of the same graph loads it instead of compiling', () => {
    rmSync(dir, { recursive: true, force: true });
    const first = freshRun();
    expect(first.stats.fromCache).toBe(0);
    expect(entries()).toHaveLength(1);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const hitsBefore = compileStats().cache.hits;
    const second = freshRun();
    expect(second.stats.fromCache).toBe(1);
    expect(compileStats().cache.hits).toBe(hitsBefore + 1);
    second.y.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    expect(second.y).toEqual(first.y);
  });

  it('keys on the graph: a changed shape or op never hits another graph’s entry', () => {
    onlyEntry(() => freshRun());
    const wider = k.reshape(ramp(64, 0.3), [8, 8]);
    const other = freshRun(wider);
    expect(other.stats.fromCache).toBe(0);
    expect(other.y).toHaveLength(48);
    const sigmoidAffine = (x: k.Tensor) => k.sigmoid(k.add(k.matmul(x, weights), 1));
    const g = trace(sigmoidAffine, { backend: 'wasm' });
    expect(g.inspect(input).stats.fromCache).toBe(0);
    const want = values(sigmoidAffine(input));
    values(g(input)).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
    expect(entries()).toHaveLength(3);
  });

  const damages: [string, (bytes: Buffer, path: string) => Buffer, RegExp][] = [
    ['a flipped byte in the module', (b) => ((b[b.length - 20]! ^= 0xff), b), /checksum mismatch/],
    ['a truncated file', (b) => b.subarray(0, 40), /truncated|unreadable header/],
    ['a file that is not an entry', () => Buffer.from('hello'), /not a Kiln compile-cache entry/],
    [
      'an entry of another Kiln version',
      (b) => rewriteHeader(b, (h) => (h.version = '0.0.1-old')),
      /another Kiln version/,
    ],
    [
      'a layout that does not fit the graph (checksum made to match)',
      (b) => rewriteHeader(b, (h) => ((h.meta as { scratchBytes: number }).scratchBytes += 4096), true),
      /layout does not fit the graph/,
    ],
  ];

  it.each(damages)('rejects %s with one warning, recompiles and rewrites it', (_what, damage, reason) => {
    const path = onlyEntry(() => freshRun());
    const good = readFileSync(path);
    writeFileSync(path, damage(Buffer.from(good), path));
    warnSpy();
    const run = freshRun();
    expect(run.stats.fromCache).toBe(0);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(/^kiln: ignoring compile-cache entry .*\.kwasm: /);
    expect(warnings()[0]).toMatch(reason);
    run.y.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    // Rewritten: the next process (here, the next trace) hits it again, with no warning.
    expect(moduleBytes(readFileSync(path)).equals(moduleBytes(good))).toBe(true);
    expect(freshRun().stats.fromCache).toBe(1);
    expect(warnings()).toHaveLength(1);
  });

  it("rejects an entry whose bytes were swapped for another graph's", () => {
    const mine = onlyEntry(() => freshRun());
    const theirs = onlyEntry(() => {
      const g = trace((x: k.Tensor) => k.relu(k.matmul(x, weights)), { backend: 'wasm' });
      g(input);
    });
    writeFileSync(mine, readFileSync(theirs));
    warnSpy();
    const run = freshRun();
    expect(run.stats.fromCache).toBe(0);
    expect(warnings()).toEqual([expect.stringMatching(/holds the module of another graph/)]);
    run.y.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
  });

  it('is off with KILN_CACHE=0', () => {
    rmSync(dir, { recursive: true, force: true });
    process.env.KILN_CACHE = '0';
    try {
      expect(freshRun().stats.fromCache).toBe(0);
      expect(compileStats().cacheDirectory).toBeNull();
    } finally {
      process.env.KILN_CACHE = '1';
    }
    expect(() => readdirSync(dir)).toThrow();
  });
});

/** The WebAssembly bytes of an entry (its header also holds compile timings, which vary). */
const moduleBytes = (entry: Buffer): Buffer => entry.subarray(12 + entry.readUInt32LE(8));

/** An entry with its JSON header changed (and, with `fixChecksum`, its checksum made to match). */
function rewriteHeader(bytes: Buffer, change: (h: Record<string, unknown>) => void, fixChecksum = false): Buffer {
  const length = bytes.readUInt32LE(8);
  const header = JSON.parse(bytes.toString('utf8', 12, 12 + length)) as Record<string, unknown>;
  const wasm = bytes.subarray(12 + length);
  change(header);
  if (fixChecksum) header.checksum = entryChecksum(JSON.stringify(header.meta), wasm);
  const text = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.from(bytes.subarray(0, 12));
  prefix.writeUInt32LE(text.length, 8);
  return Buffer.concat([prefix, text, wasm]);
}
