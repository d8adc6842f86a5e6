/**
 * @file The persistent compile cache: compiled modules stored on disk under a key hashed from
 * the planned graph, Kiln's version and the runtime's features, so a new process that runs the
 * same trace skips Binaryen entirely. Node only; `KILN_CACHE=0` turns it off, `KILN_CACHE_DIR`
 * moves it (default: the OS cache directory). When Kiln runs from its TypeScript sources (this
 * repository), it is off unless `KILN_CACHE=1`: sources change without a version bump.
 *
 * An entry is trusted only after its checksum, format, version and key match and its recorded
 * layout matches the graph being run (the caller's check), so a damaged, stale or planted file
 * at worst costs a recompile, with one warning. Writes go to a temp file then rename, so two
 * processes writing one entry are safe; the directory is created private to the user (0700).
 */
import { warn, printGraph, valueNames, type Graph, type MemoryPlan } from '@kiln-jit/tracer';
import type { CompiledModule } from './emit.ts';
import { contentHash } from './content-hash.ts';
import { builtin, nodeProcess } from './node-builtins.ts';
import { runtimeFeatures } from './runtime-features.ts';
import type { CodegenOptions } from './codegen-options.ts';

type Fs = typeof import('node:fs');
const NO_NOTES = new Map<never, string>();
type Os = typeof import('node:os');

/** Bumped whenever the entry layout or the meaning of a compiled module's facts changes. */
const FORMAT = 4;
const MAGIC = 'KILNWASM';

/** How the cache fared in this process (for tests, `kiln inspect` and the note). */
export const cacheCounters = { hits: 0, misses: 0, rejected: 0, writes: 0 };

let disabledForProcess = false;

/** Kiln's version, read from this package's manifest once (null: none to read, so no cache). */
let version: string | null | undefined;
function kilnVersion(fs: Fs): string | null {
  if (version === undefined) {
    try {
      version = (
        JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
      ).version;
    } catch {
      version = null;
    }
  }
  return version;
}

const fromSources = import.meta.url.endsWith('.ts');

/** The cache directory when the cache is on here, else null. */
export function cacheDirectory(): string | null {
  const proc = nodeProcess();
  const fs = builtin<Fs>('node:fs');
  const os = builtin<Os>('node:os');
  if (!proc || !fs || !os || disabledForProcess) return null;
  const setting = proc.env.KILN_CACHE;
  if (setting === '0' || (fromSources && setting !== '1')) return null;
  if (proc.env.KILN_CACHE_DIR) return proc.env.KILN_CACHE_DIR;
  const home = os.homedir();
  if (proc.platform === 'win32') return `${proc.env.LOCALAPPDATA ?? `${home}\\AppData\\Local`}\\kiln\\cache`;
  if (proc.platform === 'darwin') return `${home}/Library/Caches/kiln`;
  return `${proc.env.XDG_CACHE_HOME || `${home}/.cache`}/kiln`;
}

/**
 * What every key starts with: Kiln's version, the entry format, the features the runtime has and
 * the emit options (with and without relaxed-SIMD FMA the modules differ, and
 * KILN_RELAXED_SIMD=0 must never load an FMA one). Null where there is no cache.
 */
export function cacheKeyHead(options: CodegenOptions): string | null {
  const fs = builtin<Fs>('node:fs');
  const kiln = fs && kilnVersion(fs);
  if (!kiln) return null;
  const features = runtimeFeatures();
  return `kiln ${kiln} format ${FORMAT} simd ${features.simd} relaxed ${features.relaxedSimd} threads ${features.threads} codegen ${JSON.stringify(options)}`;
}

/**
 * The key of a planned graph: a hash of the head, of its printed IR (shapes, dtypes, attributes,
 * fused bodies and regions) and of its memory plan by value name. Value ids are process-local, so
 * everything is named as the printer names it.
 */
export function cacheKey(graph: Graph, plan: MemoryPlan, options: CodegenOptions): string | null {
  const head = cacheKeyHead(options);
  if (!head) return null;
  const names = valueNames(graph);
  const name = (v: { id: number }): string => names.get(v as never) ?? `?${v.id}`;
  const planText = JSON.stringify({
    peak: plan.peakBytes,
    slots: [...plan.slots].map(([v, s]) => [name(v), s.offset, s.bytes]),
    inPlace: [...plan.inPlace].map(([a, b]) => [name(a), name(b)]),
    aliases: [...plan.aliases].map(([a, b]) => [name(a), name(b)]),
    variablesInPlace: [...plan.variablesInPlace].map((p) => p.name),
  });
  // Without the plan's print notes: planText has the plan, and a graph read back has no notes.
  return contentHash(head, printGraph(graph, { notes: NO_NOTES }), planText);
}

/** A kind of entry: compiled modules (`.kwasm`), or planned graphs (`.kplan`, planned-graph-cache.ts). */
export interface EntryKind {
  readonly ext: string;
  /** What a warning calls an entry, what the entry holds, and what replaces a rejected one. */
  readonly what: string;
  readonly holds: string;
  readonly redo: string;
  readonly counters: typeof cacheCounters;
}

export const MODULES: EntryKind = {
  ext: 'kwasm',
  what: 'compile-cache entry',
  holds: 'module',
  redo: 'recompiling it',
  counters: cacheCounters,
};

interface Header<Meta> {
  magic: string;
  format: number;
  version: string;
  key: string;
  checksum: string;
  meta: Meta;
}

const entryPath = (dir: string, key: string, kind: EntryKind): string => `${dir}/${key}.${kind.ext}`;

/** The checksum an entry records: of its facts (as stored) and its payload bytes. */
export function entryChecksum(metaText: string, payload: Uint8Array): string {
  return contentHash(metaText, payload);
}

/**
 * The entry of `kind` for `key`, or null (a miss). `accept` turns its facts and payload into the
 * value, or says why it does not fit what is being run; an entry that fails any check is
 * reported once and treated as a miss (the caller's recompute rewrites it).
 */
export function loadEntry<Meta, T>(
  kind: EntryKind,
  key: string,
  accept: (meta: Meta, payload: Uint8Array<ArrayBuffer>) => T | string,
): T | null {
  const dir = cacheDirectory();
  const fs = builtin<Fs>('node:fs');
  if (!dir || !fs) return null;
  const path = entryPath(dir, key, kind);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch {
    kind.counters.misses++;
    return null;
  }
  const problem = (): string | { value: T } => {
    if (bytes.length < 12 || bytes.toString('latin1', 0, 8) !== MAGIC) return `not a Kiln ${kind.what}`;
    const headerBytes = bytes.readUInt32LE(8);
    if (12 + headerBytes > bytes.length) return 'truncated';
    let header: Header<Meta>;
    try {
      header = JSON.parse(bytes.toString('utf8', 12, 12 + headerBytes)) as Header<Meta>;
    } catch {
      return 'unreadable header';
    }
    if (header.format !== FORMAT || header.version !== kilnVersion(fs)) return 'made by another Kiln version';
    if (header.key !== key) return `holds the ${kind.holds} of another graph`;
    const payload = new Uint8Array(bytes.subarray(12 + headerBytes));
    if (entryChecksum(JSON.stringify(header.meta), payload) !== header.checksum) return 'checksum mismatch';
    const value = accept(header.meta, payload);
    return typeof value === 'string' ? value : { value };
  };
  const result = problem();
  if (typeof result === 'string') {
    rejectEntry(kind, path, result);
    return null;
  }
  kind.counters.hits++;
  return result.value;
}

/** The compiled module for `key`, or null; `fits` checks its recorded layout against the graph being run. */
export function loadCached(key: string, fits: (m: CompiledModule) => string | null): CompiledModule | null {
  return loadEntry<Meta, CompiledModule>(MODULES, key, (meta, wasm) => {
    const compiled: CompiledModule = { ...meta, wasm };
    const misfit = fits(compiled);
    return misfit ? `its layout does not fit the graph (${misfit})` : compiled;
  });
}

/** Reports a bad entry once and removes it; the recompute that follows writes a good one. */
export function rejectEntry(kind: EntryKind, pathOrKey: string, why: string): void {
  const dir = cacheDirectory();
  const path = pathOrKey.includes('/') || !dir ? pathOrKey : entryPath(dir, pathOrKey, kind);
  kind.counters.rejected++;
  warn(`ignoring ${kind.what} ${path}: ${why}; ${kind.redo}`);
  try {
    builtin<Fs>('node:fs')?.rmSync(path, { force: true });
  } catch {
    /* the rewrite replaces it anyway */
  }
}

/** Rejects the compiled module under `key` (see rejectEntry). */
export function rejectCached(key: string, why: string): void {
  rejectEntry(MODULES, key, why);
}

type Meta = Omit<CompiledModule, 'wasm'>;

/**
 * Stores an entry of `kind` under `key` (temp file + rename). A cache that cannot be written is
 * turned off with a warning.
 */
export function storeEntry(kind: EntryKind, key: string, meta: unknown, payload: Uint8Array): void {
  const dir = cacheDirectory();
  const fs = builtin<Fs>('node:fs');
  const proc = nodeProcess();
  const kiln = fs && kilnVersion(fs);
  if (!dir || !fs || !proc || !kiln) return;
  try {
    ensurePrivateDirectory(fs, dir);
    const metaText = JSON.stringify(meta);
    const header: Header<unknown> = {
      magic: MAGIC,
      format: FORMAT,
      version: kiln,
      key,
      checksum: entryChecksum(metaText, payload),
      meta,
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const prefix = Buffer.alloc(12);
    prefix.write(MAGIC, 0, 'latin1');
    prefix.writeUInt32LE(headerBytes.length, 8);
    const path = entryPath(dir, key, kind);
    const temp = `${path}.${proc.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    fs.writeFileSync(temp, Buffer.concat([prefix, headerBytes, payload]), { mode: 0o600 });
    fs.renameSync(temp, path);
    kind.counters.writes++;
  } catch (e) {
    disabledForProcess = true;
    warn(`the compile cache at ${dir} cannot be written (${(e as Error).message}); it is off for this process`);
  }
}

/** Stores `compiled` under `key`. */
export function storeCached(key: string, compiled: CompiledModule): void {
  const { wasm, ...meta } = compiled;
  storeEntry(MODULES, key, meta, wasm);
}

/** Creates `dir` with mode 0700, or tightens a directory of ours to it; refuses another user's. */
function ensurePrivateDirectory(fs: Fs, dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  const uid = (globalThis as { process?: { getuid?: () => number } }).process?.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`the directory belongs to another user (uid ${st.uid})`);
  if (uid !== undefined && (st.mode & 0o077) !== 0) fs.chmodSync(dir, 0o700);
}
