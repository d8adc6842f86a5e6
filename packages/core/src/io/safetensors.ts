/**
 * @file The safetensors format (Hugging Face), in memory: an 8-byte little-endian header length,
 * a JSON header naming each tensor's `dtype`, `shape` and `data_offsets` (plus an optional
 * `__metadata__` map of strings), then the raw little-endian data. Kiln reads and writes F32, I32
 * and BOOL. A file is checked completely (header, dtypes, sizes, offsets covering the data with no
 * gap or overlap) before any tensor is returned, so a truncated or corrupt file changes nothing.
 */
import { BYTES_PER_ELEMENT, type DType } from '../dtype.ts';
import { KilnArgumentError, KilnFormatError } from '../errors.ts';
import { makeTensor, Tensor } from '../tensor.ts';
import { Variable } from '../variable.ts';
import { formatShape, MAX_TENSOR_ELEMENTS, sizeOf } from '../shape.ts';
import { dottedNames, flatten } from '../pytree.ts';

/** Tensors by name, and the file's `__metadata__`. */
export interface SafetensorsContents {
  readonly tensors: Record<string, Tensor>;
  readonly metadata: Record<string, string>;
}

const TO_FORMAT: Record<DType, string> = { f32: 'F32', i32: 'I32', bool: 'BOOL' };
const FROM_FORMAT: Record<string, DType> = { F32: 'f32', I32: 'i32', BOOL: 'bool' };
/** dtypes of the format that Kiln has no tensor type for. */
const OTHER_FORMAT_DTYPES = ['F64', 'F16', 'BF16', 'I64', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'F8_E4M3', 'F8_E5M2'];
/** The reference implementation refuses larger headers, as a guard against hostile files. */
const MAX_HEADER_BYTES = 100_000_000;

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The named tensors of a pytree of tensors and variables, by dotted name (`layers.0.w`). */
export function namedLeaves(op: string, tree: unknown): [string, Tensor][] {
  const { leaves, def } = flatten(tree);
  const names = dottedNames(def);
  const seen = new Set<string>();
  return leaves.map((leaf, i) => {
    const name = names[i]!;
    if (name === '' || name === '__metadata__')
      throw new KilnArgumentError(`${op}: '${name}' cannot name a tensor; pass an object or array of tensors`);
    if (seen.has(name)) throw new KilnArgumentError(`${op}: two leaves are both named '${name}'`);
    seen.add(name);
    const t = leaf instanceof Variable ? leaf.read() : leaf;
    if (!(t instanceof Tensor)) {
      throw new KilnArgumentError(`${op}: leaf '${name}' is ${typeof leaf}, not a tensor or variable`);
    }
    t.concreteData(`save tensor '${name}'`);
    return [name, t];
  });
}

/** Little-endian bytes of a tensor's data. */
function dataBytes(t: Tensor): Uint8Array {
  const data = t.concreteData();
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (littleEndianHost || t.dtype === 'bool') return bytes;
  const swapped = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 4) for (let j = 0; j < 4; j++) swapped[i + j] = bytes[i + 3 - j]!;
  return swapped;
}

/**
 * Encodes a pytree of tensors and variables (names are the dotted paths of the leaves) and
 * string metadata. 4-byte tensors come first and the header is padded with spaces to a multiple
 * of 8, so every F32/I32 tensor starts 4-byte aligned, as the reference writer arranges.
 */
export function encodeSafetensors(tree: unknown, metadata: Record<string, string> = {}): Uint8Array {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new KilnArgumentError(`safetensors: metadata '${k}' must be a string`);
  }
  const named = namedLeaves('safetensors', tree);
  const ordered = [...named.filter(([, t]) => t.dtype !== 'bool'), ...named.filter(([, t]) => t.dtype === 'bool')];
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const [name, t] of ordered) {
    const bytes = t.size * BYTES_PER_ELEMENT[t.dtype];
    header[name] = { dtype: TO_FORMAT[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = Math.ceil((8 + json.length) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerBytes, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const [, t] of ordered) {
    out.set(dataBytes(t), at);
    at += t.size * BYTES_PER_ELEMENT[t.dtype];
  }
  return out;
}

interface Entry {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly begin: number;
  readonly end: number;
}

const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Reads the JSON header; `source` names the file in messages. */
function readHeader(bytes: Uint8Array, source: string): { header: Record<string, unknown>; dataStart: number } {
  const bad = (why: string): never => {
    throw new KilnFormatError(`safetensors: ${source} ${why}`);
  };
  if (bytes.length < 8) bad(`is truncated: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (length > MAX_HEADER_BYTES) bad(`is corrupt: its header length ${length} is over the format's limit`);
  if (8 + length > bytes.length)
    bad(`is truncated: its header needs ${length} bytes, the file has ${bytes.length - 8}`);
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + length));
  } catch {
    bad('is corrupt: its header is not UTF-8');
  }
  let header: unknown = null;
  try {
    header = JSON.parse(text);
  } catch (e) {
    bad(`is corrupt: its header is not JSON (${(e as Error).message})`);
  }
  if (!text.startsWith('{') || header === null || typeof header !== 'object' || Array.isArray(header))
    bad('is corrupt: its header is not a JSON object');
  return { header: header as Record<string, unknown>, dataStart: 8 + length };
}

function readEntry(name: string, raw: unknown, bad: (why: string) => never): Entry {
  const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (raw === null || typeof raw !== 'object') bad(`has a bad entry for tensor '${name}'`);
  const format = e.dtype;
  if (typeof format !== 'string' || !(format in FROM_FORMAT)) {
    if (OTHER_FORMAT_DTYPES.includes(format as string))
      bad(`holds tensor '${name}' as ${format as string}; Kiln reads F32, I32 and BOOL (convert it before saving)`);
    bad(`is corrupt: tensor '${name}' has unknown dtype ${JSON.stringify(format)}`);
  }
  const dtype = FROM_FORMAT[format as string]!;
  const { shape, data_offsets: offsets } = e;
  if (!Array.isArray(shape) || !shape.every(isIndex)) bad(`is corrupt: tensor '${name}' has a bad shape`);
  if (sizeOf(shape as number[]) > MAX_TENSOR_ELEMENTS)
    bad(`holds tensor '${name}' of shape ${formatShape(shape as number[])}, too large for a Kiln tensor`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1])
    bad(`is corrupt: tensor '${name}' has bad data_offsets ${JSON.stringify(offsets)}`);
  const [begin, end] = offsets as [number, number];
  const expected = sizeOf(shape as number[]) * BYTES_PER_ELEMENT[dtype];
  if (end - begin !== expected) {
    bad(
      `is corrupt: tensor '${name}' (${format} ${formatShape(shape as number[])}) needs ${expected} bytes but its data_offsets span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Every entry of the header, checked against each other and the data's length. */
function readEntries(header: Record<string, unknown>, dataBytes: number, source: string): Entry[] {
  const bad = (why: string): never => {
    throw new KilnFormatError(`safetensors: ${source} ${why}`);
  };
  const entries = Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, raw]) => readEntry(name, raw, bad));
  // The data must be exactly the tensors laid end to end: a gap, an overlap or a short file is damage.
  let at = 0;
  for (const e of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin !== at) bad(`is corrupt: tensor '${e.name}' starts at byte ${e.begin} of the data, expected ${at}`);
    at = e.end;
  }
  if (at > dataBytes) bad(`is truncated: its tensors need ${at} bytes of data, the file has ${dataBytes}`);
  if (at < dataBytes) bad(`is corrupt: ${dataBytes - at} bytes follow the last tensor`);
  return entries;
}

function readMetadata(header: Record<string, unknown>, source: string): Record<string, string> {
  const raw = header.__metadata__;
  if (raw === undefined) return {};
  const ok =
    raw !== null &&
    typeof raw === 'object' &&
    !Array.isArray(raw) &&
    Object.values(raw).every((v) => typeof v === 'string');
  if (!ok) throw new KilnFormatError(`safetensors: ${source} is corrupt: __metadata__ must map strings to strings`);
  return { ...(raw as Record<string, string>) };
}

/** A tensor from its little-endian bytes (copied, so it is aligned and owns its data). */
function tensorFrom(e: Entry, data: Uint8Array): Tensor {
  // A fresh copy (not `slice`, which for a Node Buffer is a view into a shared pool).
  const bytes = new Uint8Array(e.end - e.begin);
  bytes.set(data.subarray(e.begin, e.end));
  const count = sizeOf(e.shape);
  if (e.dtype === 'bool') {
    for (let i = 0; i < bytes.length; i++) bytes[i] = bytes[i] ? 1 : 0; // Kiln's bools hold only 0 or 1
    return makeTensor(e.shape, 'bool', bytes);
  }
  const view = new DataView(bytes.buffer);
  const out = e.dtype === 'f32' ? new Float32Array(bytes.buffer, 0, count) : new Int32Array(bytes.buffer, 0, count);
  if (!littleEndianHost) {
    for (let i = 0; i < count; i++)
      out[i] = e.dtype === 'f32' ? view.getFloat32(i * 4, true) : view.getInt32(i * 4, true);
  }
  return makeTensor(e.shape, e.dtype, out);
}

/** Decodes safetensors bytes; `source` (a path, say) names the file in errors. Checks everything first. */
export function decodeSafetensors(bytes: Uint8Array, source = 'the data'): SafetensorsContents {
  const { header, dataStart } = readHeader(bytes, source);
  const entries = readEntries(header, bytes.length - dataStart, source);
  const metadata = readMetadata(header, source);
  const data = bytes.subarray(dataStart);
  return { tensors: Object.fromEntries(entries.map((e) => [e.name, tensorFrom(e, data)])), metadata };
}
