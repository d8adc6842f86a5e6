/**
 * @file Missing pytree keys while tracing. A traced body that reads `params.b` from an argument
 * without a `b` gets `undefined` and fails somewhere deep inside an op ("add: second argument ...
 * got undefined"). The tracer hands the body its plain-object and array arguments through proxies
 * that note such reads; if the trace then fails, the error names the missing key instead.
 * Reads of missing keys are only noted, never refused, so optional keys keep working.
 */

/** One read of a key that the object did not have. */
export interface MissingRead {
  /** The path of the object read, e.g. `params` or `batch[0]`. */
  readonly path: string;
  readonly key: string;
  /** The keys it does have (for an array: its indices). */
  readonly keys: readonly string[];
  readonly isArray: boolean;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object') return false;
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** Wraps the plain objects and arrays of `tree` (lazily, at any depth) so missing-key reads go to `log`. */
export function watchMissingKeys<T>(tree: T, path: string, log: MissingRead[]): T {
  if (!Array.isArray(tree) && !isPlainObject(tree)) return tree;
  const children = new Map<string, unknown>();
  return new Proxy(tree as object, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string') return value;
      if (!(key in target)) {
        log.push({ path, key, keys: Object.keys(target), isArray: Array.isArray(target) });
        return value;
      }
      if (!Object.hasOwn(target, key) || (!Array.isArray(value) && !isPlainObject(value))) return value;
      let child = children.get(key);
      if (child === undefined) {
        child = watchMissingKeys(value, Array.isArray(target) ? `${path}[${key}]` : `${path}.${key}`, log);
        children.set(key, child);
      }
      return child;
    },
  }) as T;
}

/** A sentence naming the first missing key read, or null when none was. */
export function describeMissingRead(reads: readonly MissingRead[]): string | null {
  const read = reads[0];
  if (!read) return null;
  if (read.isArray) {
    return `argument ${read.path} has no index ${read.key} (its length is ${read.keys.length}), but the traced body reads ${read.path}[${read.key}]`;
  }
  const has = read.keys.length ? `its keys are ${read.keys.join(', ')}` : 'it is empty';
  return `argument ${read.path} has no key '${read.key}' (${has}), but the traced body reads ${read.path}.${read.key}`;
}
