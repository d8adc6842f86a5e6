/**
 * safetensors against the format's description, not against Kiln's own writer: a file assembled
 * byte by byte here loads; Kiln's output is read back by a reader written here; damaged files are
 * clear errors that change nothing; checkpoints restore optimizer state and resume exactly.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  adam,
  rmsprop,
  decodeSafetensors,
  encodeSafetensors,
  grad,
  KilnArgumentError,
  KilnDTypeError,
  KilnFormatError,
  KilnShapeError,
  loadSafetensors,
  mse,
  matmul,
  restoreCheckpoint,
  restoreSafetensors,
  saveCheckpoint,
  saveSafetensors,
  tensor,
  variable,
  type Tensor,
} from '../src/index.ts';
import { caught, randomTensor } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'kiln-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => join(dir, name);

/** The 8-byte little-endian length, the header text, then the data bytes, as the format describes. */
function assemble(header: string, data: number[]): Uint8Array {
  const text = Array.from(header, (c) => c.charCodeAt(0)); // ASCII header
  const n = text.length;
  const length = [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff, 0, 0, 0, 0];
  return new Uint8Array([...length, ...text, ...data]);
}

const HEADER =
  '{"__metadata__":{"framework":"pt"},' +
  '"weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},' +
  '"ids":{"dtype":"I32","shape":[3],"data_offsets":[16,28]},' +
  '"mask":{"dtype":"BOOL","shape":[2],"data_offsets":[28,30]}}';
// f32 1.0 = 0x3f800000, -2.5 = 0xc0200000, 0.5 = 0x3f000000, 3.0 = 0x40400000, little-endian.
const WEIGHT = [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, 0x00, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x40, 0x40];
// i32 7, -1, 65536.
const IDS = [0x07, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00];
const MASK = [0x01, 0x00];
const HAND_MADE = assemble(HEADER, [...WEIGHT, ...IDS, ...MASK]);

interface ReadTensor {
  dtype: string;
  shape: number[];
  values: number[];
}

/** A reader written from the format description, independent of Kiln's. */
function handRead(bytes: Uint8Array): { tensors: Record<string, ReadTensor>; metadata: unknown } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, unknown>;
  const start = 8 + n;
  const tensors: Record<string, ReadTensor> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: [b, e],
    } = raw as { dtype: string; shape: number[]; data_offsets: number[] };
    const values: number[] = [];
    const size = dtype === 'BOOL' ? 1 : 4;
    for (let at = start + b!; at < start + e!; at += size) {
      values.push(
        dtype === 'F32' ? view.getFloat32(at, true) : dtype === 'I32' ? view.getInt32(at, true) : view.getUint8(at),
      );
    }
    tensors[name] = { dtype, shape, values };
  }
  return { tensors, metadata: header.__metadata__ };
}

const view = (t: Tensor) => ({ dtype: t.dtype, shape: [...t.shape], values: t.toArray() });

describe('safetensors', () => {
  it('loads a file assembled byte by byte with the right names, shapes and values', () => {
    writeFileSync(file('hand.safetensors'), HAND_MADE);
    const loaded = loadSafetensors(file('hand.safetensors'));
    expect(Object.keys(loaded)).toEqual(['weight', 'ids', 'mask']);
    expect(view(loaded.weight!)).toEqual({
      dtype: 'f32',
      shape: [2, 2],
      values: [
        [1, -2.5],
        [0.5, 3],
      ],
    });
    expect(view(loaded.ids!)).toEqual({ dtype: 'i32', shape: [3], values: [7, -1, 65536] });
    expect(view(loaded.mask!)).toEqual({ dtype: 'bool', shape: [2], values: [true, false] });
    expect(decodeSafetensors(HAND_MADE).metadata).toEqual({ framework: 'pt' });
  });

  it('writes files the hand-written reader parses: dotted names, dtypes, shapes, values, metadata', () => {
    const tree = {
      embed: tensor([
        [0.25, -1],
        [2, 8],
      ]),
      layers: [
        { w: variable([1.5, -3]) },
        { w: variable([7, 0, -2], { name: 'w2' }), on: tensor([true, false, true]) },
      ],
      step: tensor([41], undefined, 'i32'),
    };
    saveSafetensors(file('tree.safetensors'), tree, { metadata: { note: 'hi' } });
    const bytes = readFileSync(file('tree.safetensors'));
    const { tensors, metadata } = handRead(bytes);
    expect(metadata).toEqual({ note: 'hi' });
    expect(tensors).toEqual({
      embed: { dtype: 'F32', shape: [2, 2], values: [0.25, -1, 2, 8] },
      'layers.0.w': { dtype: 'F32', shape: [2], values: [1.5, -3] },
      'layers.1.w': { dtype: 'F32', shape: [3], values: [7, 0, -2] },
      'layers.1.on': { dtype: 'BOOL', shape: [3], values: [1, 0, 1] },
      step: { dtype: 'I32', shape: [1], values: [41] },
    });
    // Every 4-byte tensor starts aligned, and the header length keeps the data 8-aligned.
    expect(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) % 8).toBe(0);
    // No temporary file is left behind.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('round-trips through Kiln, bit for bit', () => {
    const t = randomTensor([17, 5], 3);
    const back = decodeSafetensors(encodeSafetensors({ t })).tensors.t!;
    expect(Array.from(back.dataSync())).toEqual(Array.from(t.dataSync()));
  });

  /** [what, how the bytes are damaged, the message] */
  const DAMAGE: [string, () => Uint8Array, RegExp][] = [
    [
      'a file shorter than the length field',
      () => HAND_MADE.slice(0, 5),
      /is truncated: 5 bytes, fewer than the 8-byte/,
    ],
    ['a header cut short', () => HAND_MADE.slice(0, 40), /is truncated: its header needs \d+ bytes, the file has 32/],
    [
      'data cut short',
      () => HAND_MADE.slice(0, -1),
      /is truncated: its tensors need 30 bytes of data, the file has 29/,
    ],
    [
      'bytes after the last tensor',
      () => new Uint8Array([...HAND_MADE, 0]),
      /is corrupt: 1 bytes follow the last tensor/,
    ],
    ['a header that is not JSON', () => assemble('{"weight":', WEIGHT), /is corrupt: its header is not JSON/],
    ['a header that is not an object', () => assemble('[1, 2]  ', []), /is corrupt: its header is not a JSON object/],
    [
      'offsets that leave a gap',
      () => assemble('{"a":{"dtype":"I32","shape":[1],"data_offsets":[4,8]}}', [...IDS.slice(0, 8)]),
      /tensor 'a' starts at byte 4 of the data, expected 0/,
    ],
    [
      'a size that does not match the shape',
      () => assemble('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', WEIGHT.slice(0, 8)),
      /tensor 'a' \(F32 \[3\]\) needs 12 bytes but its data_offsets span 8/,
    ],
    [
      'a dtype Kiln has no tensor for',
      () => assemble('{"half":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      /holds tensor 'half' as F16; Kiln reads F32, I32 and BOOL/,
    ],
    ['a huge header length', () => new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0]), /header length 4294967296 is over/],
  ];

  it.each(DAMAGE)('%s is a KilnFormatError naming the file', (_what, bytes, message) => {
    writeFileSync(file('bad.safetensors'), bytes());
    const err = caught(() => loadSafetensors(file('bad.safetensors')));
    expect(err).toBeInstanceOf(KilnFormatError);
    expect(err.detail).toMatch(message);
    expect(err.detail).toContain(file('bad.safetensors'));
  });

  it('a missing file is a KilnArgumentError', () => {
    const err = caught(() => loadSafetensors(file('nope.safetensors')));
    expect(err).toBeInstanceOf(KilnArgumentError);
    expect(err.detail).toBe(`loadSafetensors: cannot read ${file('nope.safetensors')} (ENOENT)`);
  });

  it('where there is no file system (a browser), saving and loading by path say so and write nothing', () => {
    const host = process as { getBuiltinModule?: unknown };
    const getBuiltinModule = host.getBuiltinModule;
    host.getBuiltinModule = undefined;
    try {
      const x = variable(tensor([1, 2]), { name: 'x' });
      const errors = [
        caught(() => saveSafetensors(file('nofs.safetensors'), { x })),
        caught(() => loadSafetensors(file('nofs.safetensors'))),
        caught(() => restoreSafetensors(file('nofs.safetensors'), { x })),
      ];
      expect(errors.map((e) => e.constructor)).toEqual([KilnArgumentError, KilnArgumentError, KilnArgumentError]);
      expect(errors.map((e) => e.detail.split(':')[0])).toEqual([
        'saveSafetensors',
        'loadSafetensors',
        'restoreSafetensors',
      ]);
      for (const e of errors) expect(e.detail).toMatch(/there is no file system here .*encodeSafetensors/);
      expect(errors[0]!.location?.file).toMatch(/safetensors\.test\.ts$/);
    } finally {
      host.getBuiltinModule = getBuiltinModule;
    }
    expect(readdirSync(dir).filter((f) => f.includes('nofs'))).toEqual([]);
  });

  it('restoreSafetensors checks every name, shape and dtype before assigning any variable', () => {
    writeFileSync(file('hand.safetensors'), HAND_MADE);
    const weight = variable(
      tensor([
        [0, 0],
        [0, 0],
      ]),
      { name: 'weight' },
    );
    const ids = variable(tensor([0, 0, 0], undefined, 'i32'), { name: 'ids' });
    restoreSafetensors(file('hand.safetensors'), { weight, ids });
    expect(weight.value.toArray()).toEqual([
      [1, -2.5],
      [0.5, 3],
    ]);
    expect(ids.value.toArray()).toEqual([7, -1, 65536]);

    const fresh = variable(
      tensor([
        [9, 9],
        [9, 9],
      ]),
      { name: 'fresh' },
    );
    const wrongShape = variable(tensor([1, 2]), { name: 'small' });
    const shapeErr = caught(() => restoreSafetensors(file('hand.safetensors'), { weight: fresh, ids: wrongShape }));
    expect(shapeErr).toBeInstanceOf(KilnDTypeError); // ids is i32 in the file, the variable f32
    expect(shapeErr.detail).toBe(
      `restoreSafetensors: tensor 'ids' in ${file('hand.safetensors')} is i32[3] but variable 'small' is f32[2]`,
    );
    const wrongDims = variable(tensor([1, 2], undefined, 'i32'), { name: 'ids2' });
    const dimsErr = caught(() => restoreSafetensors(file('hand.safetensors'), { weight: fresh, ids: wrongDims }));
    expect(dimsErr).toBeInstanceOf(KilnShapeError);
    expect(dimsErr.detail).toMatch(/tensor 'ids' .* is i32\[3\] but variable 'ids2' is i32\[2\]/);
    const missing = caught(() => restoreSafetensors(file('hand.safetensors'), { weight: fresh, bias: wrongShape }));
    expect(missing).toBeInstanceOf(KilnFormatError);
    expect(missing.detail).toMatch(/has no tensor 'bias' \(for variable 'small'\)/);
    // fresh came first in each tree and passed its checks, but nothing was assigned.
    expect(fresh.version).toBe(0);
    expect(fresh.value.toArray()).toEqual([
      [9, 9],
      [9, 9],
    ]);
  });
});

describe('checkpoints', () => {
  const X = randomTensor([8, 3], 11);
  const Y = randomTensor([8, 2], 12);

  function model(seed: number) {
    return {
      w: variable(randomTensor([3, 4], seed), { name: 'w' }),
      v: variable(randomTensor([4, 2], seed + 1), { name: 'v' }),
    };
  }
  type Params = ReturnType<typeof model>;
  const lossOf = (p: { w: Tensor; v: Tensor }) => mse(matmul(matmul(X, p.w), p.v), Y);
  const step = (params: Params, opt: ReturnType<typeof adam>) => opt.apply(params, grad(lossOf)(params));
  const bits = (params: Params) => [...params.w.value.dataSync(), ...params.v.value.dataSync()];

  it('resumes bit-identically after restoring parameters, Adam state and step count into fresh variables', () => {
    const straight = model(1);
    const opt = adam(0.01);
    for (let i = 0; i < 6; i++) step(straight, opt);

    const first = model(1);
    const firstOpt = adam(0.01);
    for (let i = 0; i < 3; i++) step(first, firstOpt);
    saveCheckpoint(file('ckpt.safetensors'), { params: first, optimizer: firstOpt }, { metadata: { run: 'a' } });

    const resumed = model(99); // other values, fresh optimizer
    const resumedOpt = adam(0.01);
    const restored = restoreCheckpoint(file('ckpt.safetensors'), { params: resumed, optimizer: resumedOpt });
    expect(restored).toEqual({ step: 3, metadata: { run: 'a' } });
    for (let i = 0; i < 3; i++) step(resumed, resumedOpt);
    expect(bits(resumed)).toEqual(bits(straight));
    expect(resumedOpt.iterations.value.item()).toBe(6);
  });

  it('names tensors params.*, optimizer.<slot>.* and optimizer.iterations, readable by any reader', () => {
    const params = model(1);
    const opt = adam();
    step(params, opt);
    saveCheckpoint(file('names.safetensors'), { params, optimizer: opt, variables: { seen: variable(5) } });
    const { tensors, metadata } = handRead(readFileSync(file('names.safetensors')));
    expect(Object.keys(tensors).sort()).toEqual([
      'optimizer.iterations',
      'optimizer.m.v',
      'optimizer.m.w',
      'optimizer.step.v',
      'optimizer.step.w',
      'optimizer.v.v',
      'optimizer.v.w',
      'params.v',
      'params.w',
      'variables.seen',
    ]);
    expect(tensors['optimizer.iterations']).toEqual({ dtype: 'I32', shape: [], values: [1] });
    expect(metadata).toEqual({ format: 'kiln-checkpoint/1' });
  });

  it('a truncated or mismatched checkpoint changes no variable and creates no optimizer state', () => {
    const params = model(1);
    const opt = adam();
    step(params, opt);
    saveCheckpoint(file('good.safetensors'), { params, optimizer: opt });
    writeFileSync(file('cut.safetensors'), readFileSync(file('good.safetensors')).subarray(0, -3));
    saveCheckpoint(file('plain.safetensors'), { params });

    const target = model(5);
    const targetOpt = adam();
    const before = bits(target);
    const attempt = (path: string, p: unknown, o = targetOpt) =>
      caught(() => restoreCheckpoint(file(path), { params: p, optimizer: o }));

    const cut = attempt('cut.safetensors', target);
    expect(cut).toBeInstanceOf(KilnFormatError);
    expect(cut.detail).toMatch(/is truncated/);
    const other = { w: target.w, v: variable(randomTensor([4, 3], 2), { name: 'v3' }) };
    const shape = attempt('good.safetensors', other);
    expect(shape).toBeInstanceOf(KilnShapeError);
    expect(shape.detail).toMatch(/tensor 'params\.v' in .* is f32\[4,2\] but variable 'v3' is f32\[4,3\]/);
    const noState = attempt('plain.safetensors', target);
    expect(noState).toBeInstanceOf(KilnFormatError);
    expect(noState.detail).toMatch(/has no tensor 'optimizer\.iterations' \(for the optimizer step count\)/);
    const otherOptimizer = attempt('good.safetensors', target, rmsprop());
    expect(otherOptimizer).toBeInstanceOf(KilnFormatError);
    expect(otherOptimizer.detail).toMatch(
      /has no tensor 'optimizer\.meanSquare\.w' \(for optimizer state 'meanSquare' of 'w'\)/,
    );

    expect(bits(target)).toEqual(before);
    expect([target.w.version, target.v.version, targetOpt.iterations.version]).toEqual([0, 0, 0]);
    expect(targetOpt.state.size).toBe(0);
  });

  it('cannot run inside a traced function or under grad', () => {
    const params = model(1);
    const err = caught(() =>
      grad((w: Tensor) => {
        saveCheckpoint(file('x.safetensors'), { params });
        return mse(w, w);
      })(tensor([1])),
    );
    expect(err).toBeInstanceOf(KilnArgumentError);
    expect(err.detail).toBe('saveCheckpoint: runs eagerly only, not inside a traced function or under grad');
  });
});
