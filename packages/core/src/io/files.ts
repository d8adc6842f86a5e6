/**
 * @file safetensors files: saving a pytree atomically (a temporary file in the same directory,
 * flushed, then renamed over the target, so a reader never sees half a file and a crash never
 * leaves one), loading, and restoring a pytree of variables from a file, which checks every name,
 * shape and dtype before it assigns anything. `node:fs` is looked up only when a file is read or
 * written, so bundling Kiln for a browser pulls in no Node module; there these functions say so.
 */
import { KilnArgumentError, KilnDTypeError, KilnFormatError, KilnShapeError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { Variable } from '../variable.ts';
import { currentInterpreter, eagerInterpreter } from '../context.ts';
import { shapesEqual } from '../shape.ts';
import { typeString, type TensorType } from '../ops/shape-rules.ts';
import { dottedNames, flatten } from '../pytree.ts';
import { decodeSafetensors, encodeSafetensors, type SafetensorsContents } from './safetensors.ts';

type FileSystem = typeof import('node:fs');

interface NodeProcess {
  readonly pid: number;
  getBuiltinModule?(id: string): unknown;
}

/**
 * `node:fs` for `op`, or a KilnArgumentError where there is none (a browser, or Node before 20.16).
 * `process.getBuiltinModule` is synchronous, so the file functions stay synchronous, and bundlers
 * see no import of a Node module.
 */
function fileSystem(op: string): { fs: FileSystem; pid: number } {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as FileSystem | undefined;
  if (!proc || !fs)
    throw new KilnArgumentError(
      `${op}: there is no file system here (needs Node 20.16 or later); in a browser, use ` +
        'encodeSafetensors / decodeSafetensors with bytes in memory instead',
    );
  return { fs, pid: proc.pid };
}

/** `.name.<pid>.<random>.tmp` beside `path` (either separator), for an atomic write. */
function tempPathBeside(path: string, pid: number): string {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1;
  return `${path.slice(0, cut)}.${path.slice(cut)}.${pid}.${Math.random().toString(36).slice(2)}.tmp`;
}

/** Writes `bytes` to `path` atomically: temp file, fsync, rename. `op` names the caller in errors. */
export function writeFileAtomic(path: string, bytes: Uint8Array, op = 'writeFileAtomic'): void {
  const { fs, pid } = fileSystem(op);
  const { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } = fs;
  const temp = tempPathBeside(path, pid);
  try {
    const fd = openSync(temp, 'w');
    try {
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}

/** Reads a whole file for `op`, turning a missing file into a KilnArgumentError. */
export function readFileFor(op: string, path: string): Uint8Array {
  const { readFileSync } = fileSystem(op).fs;
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KilnArgumentError(`${op}: cannot read ${path}${code ? ` (${code})` : ''}`);
  }
}

function checkEager(op: string): void {
  if (currentInterpreter() !== eagerInterpreter)
    throw new KilnArgumentError(`${op}: runs eagerly only, not inside a traced function or under grad`);
}

/**
 * Saves a pytree of tensors and variables as a safetensors file, each leaf under its dotted path
 * (`{ layers: [{ w }] }` gives `layers.0.w`, as PyTorch's state_dict names it), with optional
 * string metadata. The write is atomic.
 */
export function saveSafetensors(
  path: string,
  tree: unknown,
  options: { metadata?: Record<string, string> } = {},
): void {
  checkEager('saveSafetensors');
  writeFileAtomic(path, encodeSafetensors(tree, options.metadata), 'saveSafetensors');
}

/** Loads every tensor of a safetensors file, by name (F32, I32 and BOOL). A damaged file is a KilnFormatError. */
export function loadSafetensors(path: string): Record<string, Tensor> {
  return readSafetensorsFile('loadSafetensors', path).tensors;
}

/** The tensors and metadata of a safetensors file. */
export function readSafetensorsFile(op: string, path: string): SafetensorsContents {
  return decodeSafetensors(readFileFor(op, path), path);
}

/** One variable and the value it is to receive. */
export type Assignment = readonly [Variable, Tensor];

/**
 * Pairs every Variable leaf of `tree` with the tensor named `prefix + dotted path`, checking
 * that it exists and has the variable's shape and dtype; nothing is assigned here.
 */
export function planAssignments(
  op: string,
  tree: unknown,
  tensors: Record<string, Tensor>,
  source: string,
  prefix = '',
): Assignment[] {
  const { leaves, def } = flatten(tree);
  const names = dottedNames(def, prefix);
  return leaves.map((leaf, i) => {
    const name = names[i]!;
    if (!(leaf instanceof Variable)) throw new KilnArgumentError(`${op}: '${name}' is not a Variable`);
    return [leaf, checkedTensor(op, tensors, name, leaf, `variable '${leaf.name}'`, source)] as const;
  });
}

/** The tensor `name` of a file, which must exist and have type `want` (`what` names the receiver). */
export function checkedTensor(
  op: string,
  tensors: Record<string, Tensor>,
  name: string,
  want: TensorType,
  what: string,
  source: string,
): Tensor {
  const t = tensors[name];
  if (!t) throw new KilnFormatError(`${op}: ${source} has no tensor '${name}' (for ${what})`);
  const mismatch = `${op}: tensor '${name}' in ${source} is ${t.typeString} but ${what} is ${typeString(want)}`;
  if (t.dtype !== want.dtype) throw new KilnDTypeError(mismatch);
  if (!shapesEqual(t.shape, want.shape)) throw new KilnShapeError(mismatch);
  return t;
}

/** Assigns every planned value (all checks are done, so this cannot fail halfway). */
export function assignAll(assignments: readonly Assignment[]): void {
  for (const [v, t] of assignments) v.assign(t);
}

/**
 * Assigns every Variable of `tree` from the tensor of the same dotted name in a safetensors file
 * (e.g. weights saved by PyTorch's `safetensors.torch.save_file`). Names, shapes and dtypes are
 * all checked before any variable changes; tensors in the file that the tree lacks are ignored.
 */
export function restoreSafetensors(path: string, tree: unknown): void {
  checkEager('restoreSafetensors');
  const { tensors } = readSafetensorsFile('restoreSafetensors', path);
  assignAll(planAssignments('restoreSafetensors', tree, tensors, path));
}

export { checkEager };
