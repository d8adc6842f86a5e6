/**
 * @file Training checkpoints as one safetensors file: the parameters (`params.<path>`), the
 * optimizer's state (`optimizer.<slot>.<path>`, e.g. `optimizer.m.w1`, like optax's state trees)
 * and step count (`optimizer.iterations`), any other variables (`variables.<path>`: a random
 * generator's state, say), and metadata. Restoring checks the whole file and every name, shape
 * and dtype first, then assigns; a training run resumed from a checkpoint continues bit for bit.
 */
import type { Tensor } from '../tensor.ts';
import { Variable } from '../variable.ts';
import type { Optimizer } from '../optimizers.ts';
import { dottedNames, flatten } from '../pytree.ts';
import { encodeSafetensors } from './safetensors.ts';
import {
  assignAll,
  checkEager,
  checkedTensor,
  planAssignments,
  readSafetensorsFile,
  writeFileAtomic,
  type Assignment,
} from './files.ts';

export interface CheckpointState {
  /** A pytree of Variables: the model's parameters. */
  params: unknown;
  /** The optimizer training `params`: its state variables and step count are saved with them. */
  optimizer?: Optimizer;
  /** Any other pytree of Variables to keep (a Generator's `state`, running statistics, ...). */
  variables?: unknown;
}

export interface SaveCheckpointOptions {
  /** Strings stored in the file's `__metadata__`. */
  metadata?: Record<string, string>;
}

export interface RestoredCheckpoint {
  /** The optimizer's step count at save time (null when no optimizer was saved). */
  readonly step: number | null;
  readonly metadata: Record<string, string>;
}

const FORMAT = 'kiln-checkpoint/1';

/** Checkpoint names of the optimizer's state for the trainable Variables of `params`, with `each`'s value. */
function optimizerEntries<T>(
  optimizer: Optimizer,
  params: unknown,
  each: (v: Variable, slot: string, initial: Tensor) => T,
): [string, T][] {
  const { leaves, def } = flatten(params);
  const names = dottedNames(def);
  const out: [string, T][] = [];
  leaves.forEach((v, i) => {
    if (!(v instanceof Variable) || !v.trainable) return;
    for (const [slot, initial] of Object.entries(optimizer.initialSlots(v)))
      out.push([`optimizer.${slot}.${names[i]}`, each(v, slot, initial)]);
  });
  return out;
}

/**
 * Saves parameters, optimizer state and step count, and other variables to one safetensors
 * file, atomically (like `torch.save` of model and optimizer state dicts, or an orbax/flax
 * checkpoint). Readable by any safetensors reader.
 */
export function saveCheckpoint(path: string, state: CheckpointState, options: SaveCheckpointOptions = {}): void {
  checkEager('saveCheckpoint');
  const tree: Record<string, unknown> = { params: state.params };
  if (state.variables !== undefined) tree.variables = state.variables;
  const opt = state.optimizer;
  // State not created yet is saved at its initial value, without creating it.
  const named = opt
    ? Object.fromEntries([
        ['optimizer.iterations', opt.iterations],
        ...optimizerEntries(opt, state.params, (v, slot, initial) => opt.state.get(v)?.[slot] ?? initial),
      ])
    : {};
  const bytes = encodeSafetensors({ ...tree, ...named }, { ...options.metadata, format: FORMAT });
  writeFileAtomic(path, bytes, 'saveCheckpoint');
}

/**
 * Checks the optimizer's tensors in the file against the state the optimizer would create for
 * `params`, without creating it; returns what creates it and pairs it with those tensors.
 */
function planOptimizer(
  optimizer: Optimizer,
  params: unknown,
  tensors: Record<string, Tensor>,
  path: string,
): () => Assignment[] {
  const op = 'restoreCheckpoint';
  checkedTensor(op, tensors, 'optimizer.iterations', optimizer.iterations, 'the optimizer step count', path);
  const names = optimizerEntries(optimizer, params, (v, slot, initial) => ({ v, slot, type: initial }));
  for (const [name, { v, slot, type }] of names)
    checkedTensor(op, tensors, name, type, `optimizer state '${slot}' of '${v.name}'`, path);
  return () => {
    optimizer.init(params);
    const slots = names.map(([name, { v, slot }]) => [optimizer.state.get(v)![slot]!, tensors[name]!] as const);
    return [[optimizer.iterations, tensors['optimizer.iterations']!] as const, ...slots];
  };
}

/**
 * Restores what saveCheckpoint saved into `state`'s variables (fresh ones are fine: the
 * optimizer's state variables are created as needed). The file is read and checked completely,
 * and every tensor matched to its variable by name, shape and dtype, before anything is assigned:
 * a truncated, corrupt or mismatched file is an error that changes no variable.
 */
export function restoreCheckpoint(path: string, state: CheckpointState): RestoredCheckpoint {
  checkEager('restoreCheckpoint');
  const { tensors, metadata } = readSafetensorsFile('restoreCheckpoint', path);
  const plan = planAssignments('restoreCheckpoint', state.params, tensors, path, 'params');
  if (state.variables !== undefined)
    plan.push(...planAssignments('restoreCheckpoint', state.variables, tensors, path, 'variables'));
  // Every check is done before the optimizer creates any state variable.
  const optimizerPlan = state.optimizer ? planOptimizer(state.optimizer, state.params, tensors, path) : null;
  assignAll([...plan, ...(optimizerPlan?.() ?? [])]);
  const step = state.optimizer ? (state.optimizer.iterations.read().item() as number) : null;
  const { format: _format, ...userMetadata } = metadata;
  return { step, metadata: userMetadata };
}
