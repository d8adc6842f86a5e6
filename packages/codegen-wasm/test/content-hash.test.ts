/**
 * The compile cache's 128-bit content hash: deterministic, unambiguous about how input is split
 * into parts, and well mixed (one flipped input bit flips about half the output bits), so that
 * different graphs never share a cache key and a damaged entry never passes its checksum.
 */
import { describe, expect, it } from '@jest/globals';
import { contentHash, mixBlocks, wasmMixer } from '../src/content-hash.ts';

/** A deterministic byte source (xorshift32), so the test sees the same inputs every run. */
function bytesFrom(seed: number, n: number): Uint8Array {
  let s = seed | 1;
  return Uint8Array.from({ length: n }, () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s & 0xff;
  });
}

const bitsOf = (hex: string): number[] => [...hex].flatMap((d) => [3, 2, 1, 0].map((b) => (parseInt(d, 16) >> b) & 1));

describe('contentHash', () => {
  it('is 32 hex digits, the same for the same parts, and a string hashes as its UTF-8 bytes', () => {
    const h = contentHash('graph @f(%x: f32[3]) { ... } — ∑', new Uint8Array([0, 97, 115, 109]));
    expect(h).toMatch(/^[0-9a-f]{32}$/);
    expect(contentHash('graph @f(%x: f32[3]) { ... } — ∑', new Uint8Array([0, 97, 115, 109]))).toBe(h);
    expect(contentHash('ü∑')).toBe(contentHash(new TextEncoder().encode('ü∑')));
  });

  it('tells apart part lists that concatenate to the same bytes, and empty parts', () => {
    const hashes = [
      contentHash('ab', 'c'),
      contentHash('a', 'bc'),
      contentHash('abc'),
      contentHash('abc', ''),
      contentHash('', 'abc'),
      contentHash(),
      contentHash(''),
      contentHash('', ''),
    ];
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('gives 100,000 near-identical inputs (one constant changed) 100,000 different hashes', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(contentHash(`%3: f32[] = constant ${i}\n%4: f32[128,512] = mul %2, %3`));
    expect(seen.size).toBe(100_000);
  });

  it('changes with any one byte of a 100 KB module, including the zero-padded tail', () => {
    const wasm = bytesFrom(7, 100_003);
    const base = contentHash('meta', wasm);
    for (const at of [0, 1, 15, 16, 50_000, 99_999, 100_000, 100_001, 100_002]) {
      const changed = wasm.slice();
      changed[at] ^= 0x01;
      expect(contentHash('meta', changed)).not.toBe(base);
    }
    // A trailing zero byte is not the padding: the length is part of the hash.
    const longer = new Uint8Array(100_004);
    longer.set(wasm);
    expect(contentHash('meta', longer)).not.toBe(base);
  });

  it('flips each output bit about half the time when one input bit flips (avalanche)', () => {
    const trials = 4000;
    const flips = new Array<number>(128).fill(0);
    let total = 0;
    for (let t = 0; t < trials; t++) {
      const input = bytesFrom(1000 + t, 1 + (t % 70));
      const bit = (t * 7919) % (input.length * 8);
      const flipped = input.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      const a = bitsOf(contentHash(input));
      const b = bitsOf(contentHash(flipped));
      a.forEach((x, i) => {
        if (x !== b[i]) {
          flips[i]!++;
          total++;
        }
      });
    }
    // An ideal hash flips Binomial(128, 1/2) bits: mean 64, and each bit flips 50% ± 2.4% (3 sigma).
    expect(total / trials).toBeGreaterThan(63);
    expect(total / trials).toBeLessThan(65);
    for (const f of flips) {
      expect(f / trials).toBeGreaterThan(0.45);
      expect(f / trials).toBeLessThan(0.55);
    }
  });
});

describe('the block mixing', () => {
  it('gives the same lanes in WebAssembly as in JavaScript, for every length and a large input', () => {
    const wasm = wasmMixer();
    expect(wasm).not.toBeNull();
    for (let n = 0; n <= 80; n++) expect(wasm!(bytesFrom(50 + n, n))).toEqual(mixBlocks(bytesFrom(50 + n, n)));
    // Past the mixer's first memory page, which it grows; then a short input again.
    for (const n of [65_521, 200_003, 33]) expect(wasm!(bytesFrom(n, n))).toEqual(mixBlocks(bytesFrom(n, n)));
  });

  it('keeps the hashes it gave in JavaScript alone, so earlier cache keys and checksums still hold', () => {
    // Computed by the JavaScript-only contentHash of commit 71d9779.
    expect(contentHash('kiln', new Uint8Array([1, 2, 3]))).toBe('45f6fc9669769da028d409e17ed3f268');
    expect(contentHash('meta', bytesFrom(7, 100_003))).toBe('656d0eb7d19508a731489eb2df4d83b4');
    expect(contentHash('')).toBe('37f14309acae84b8f40c080826d11aad');
    expect(contentHash('graph @f(%x: f32[3]) { ... } — ∑')).toBe('99db3c5626a76f1cca85e01753810513');
  });
});
