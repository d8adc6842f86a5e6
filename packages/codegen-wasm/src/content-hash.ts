/**
 * @file A 128-bit content hash for compile-cache keys and entry checksums, in the style of
 * MurmurHash3's x86 128-bit variant: four 32-bit lanes, each 16-byte block mixed in with
 * multiply-rotate-multiply, the lanes stirred into each other, and a final avalanche. It guards
 * against accidental collisions and damaged files, not against someone who can write the cache
 * directory (they could write any entry, with any checksum, and the layout check covers that).
 * It replaces node:crypto, whose first use costs ~4 MB of RSS and ~2.5 ms on Node 24: every
 * process that runs a cached trace would pay that for two hashes. The blocks are mixed by a
 * tiny WebAssembly module where one can run (the same lanes as the JavaScript, tested): a first
 * cache lookup's ~50 KB took ~1 ms in the interpreter.
 */

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** Spreads every input bit of `h` over all output bits. */
function avalanche(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const encoder = new TextEncoder();

/** The parts as one byte string, each after its length, so that no two part lists run together. */
function framed(parts: readonly (string | Uint8Array)[]): Uint8Array {
  const bytes = parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p));
  const out = new Uint8Array(bytes.reduce((n, b) => n + 4 + b.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const b of bytes) {
    view.setUint32(at, b.length, true);
    out.set(b, at + 4);
    at += 4 + b.length;
  }
  return out;
}

const SEED = 0x9747b28c;

/**
 * The four lanes after mixing in every 16-byte block of `data`, its tail zero-padded to a whole
 * block (the length mixed in at the end tells paddings apart). Words are little-endian.
 */
export function mixBlocks(data: Uint8Array): [number, number, number, number] {
  const padded = new Uint8Array(Math.ceil(data.length / 16) * 16);
  padded.set(data);
  const view = new DataView(padded.buffer);
  const word = (at: number): number => view.getUint32(at, true);
  let h1 = SEED | 0;
  let h2 = SEED | 0;
  let h3 = SEED | 0;
  let h4 = SEED | 0;
  const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
  for (let i = 0; i < padded.length; i += 16) {
    h1 = (Math.imul(rotl(Math.imul(rotl(Math.imul(word(i), C1), 15), C2) ^ h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 = (Math.imul(rotl(Math.imul(rotl(Math.imul(word(i + 4), C2), 16), C3) ^ h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 = (Math.imul(rotl(Math.imul(rotl(Math.imul(word(i + 8), C3), 17), C4) ^ h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 = (Math.imul(rotl(Math.imul(rotl(Math.imul(word(i + 12), C4), 18), C1) ^ h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  return [h1, h2, h3, h4];
}

/** Inputs up to this many bytes are mixed in WebAssembly. */
const WASM_MIX_LIMIT = 1 << 20;

/** The same mixing as mixBlocks, in WebAssembly (below), or null where it cannot run. */
let mixer: ((data: Uint8Array) => [number, number, number, number]) | null | undefined;

/**
 * A first cache lookup hashes ~50 KB (the traced graph's print and two entries' checksums) in
 * code that has not run yet: ~1 ms in the interpreter, ~0.05 ms as this 150-byte module, whose
 * one function `mix(blocks)` mixes the blocks at byte 16 of its memory into the lanes at 0-15.
 */
export function wasmMixer(): typeof mixer {
  if (mixer !== undefined) return mixer;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(mixerModule()));
    const memory = instance.exports.m as WebAssembly.Memory;
    const mix = instance.exports.mix as (blocks: number) => void;
    mixer = (data) => {
      const blocks = Math.ceil(data.length / 16);
      const need = 16 + blocks * 16;
      if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      const bytes = new Uint8Array(memory.buffer);
      bytes.set(data, 16);
      bytes.fill(0, 16 + data.length, need);
      mix(blocks);
      const lanes = new Int32Array(memory.buffer, 0, 4);
      return [lanes[0]!, lanes[1]!, lanes[2]!, lanes[3]!];
    };
  } catch {
    mixer = null;
  }
  return mixer;
}

/** Signed LEB128, as WebAssembly writes i32 constants. */
function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

/** The mixer module's bytes, written out (no Binaryen: it is needed before Binaryen ever loads). */
function mixerModule(): Uint8Array<ArrayBuffer> {
  const [get, set, i32, load, store] = [0x20, 0x21, 0x41, 0x28, 0x36];
  const [add, mul, xor, rotl, shl, geU] = [0x6a, 0x6c, 0x73, 0x77, 0x74, 0x4f];
  // Locals: 0 blocks (param), 1 at, 2 end, 3-6 h1-h4, 7 k.
  const c = (x: number): number[] => [i32, ...sleb(x)];
  const lane = (
    word: number,
    h: number,
    next: number,
    m1: number,
    r1: number,
    m2: number,
    r2: number,
    add2: number,
  ) => [
    ...[get, 1, load, 2, word * 4, ...c(m1), mul, ...c(r1), rotl, ...c(m2), mul, get, h, xor, set, 7],
    ...[get, 7, ...c(r2), rotl, get, next, add, ...c(5), mul, ...c(add2), add, set, h],
  ];
  const body = [
    ...[1, 7, 0x7f], // seven i32 locals
    ...[...c(16), set, 1, get, 0, ...c(4), shl, ...c(16), add, set, 2],
    ...[3, 4, 5, 6].flatMap((h) => [...c(SEED), set, h]),
    ...[0x02, 0x40, 0x03, 0x40, get, 1, get, 2, geU, 0x0d, 1],
    ...lane(0, 3, 4, C1, 15, C2, 19, 0x561ccd1b),
    ...lane(1, 4, 5, C2, 16, C3, 17, 0x0bcaa747),
    ...lane(2, 5, 6, C3, 17, C4, 15, 0x96cd1c35),
    ...lane(3, 6, 3, C4, 18, C1, 13, 0x32ac3b17),
    ...[get, 1, ...c(16), add, set, 1, 0x0c, 0, 0x0b, 0x0b],
    ...[3, 4, 5, 6].flatMap((h, i) => [...c(0), get, h, store, 2, i * 4]),
    0x0b,
  ];
  const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
  const name = (text: string): number[] => [text.length, ...[...text].map((ch) => ch.charCodeAt(0))];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 1, 0x7f, 0]), // type: (i32) -> ()
    ...section(3, [1, 0]), // one function of that type
    ...section(5, [1, 0x00, 1]), // one memory, one page to start
    ...section(7, [2, ...name('m'), 0x02, 0, ...name('mix'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ]);
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return out;
}

/** 32 hex digits hashing the parts (strings as UTF-8). */
export function contentHash(...parts: readonly (string | Uint8Array)[]): string {
  const data = framed(parts);
  // Past a first lookup's sizes the JavaScript is warm and fast enough, and the mixer's memory
  // stays the size of the largest input it was given.
  const mix = data.length <= WASM_MIX_LIMIT ? wasmMixer() : null;
  let [h1, h2, h3, h4] = mix?.(data) ?? mixBlocks(data);
  h1 ^= data.length;
  h2 ^= data.length;
  h3 ^= data.length;
  h4 ^= data.length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = avalanche(h1);
  h2 = avalanche(h2);
  h3 = avalanche(h3);
  h4 = avalanche(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  return [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}
