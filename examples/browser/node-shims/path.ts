/**
 * @file The few `node:path` functions Kiln's packages call, for the browser bundle: they only split
 * and join '/'-separated strings (source locations and file names), so string work is enough.
 */

export function dirname(path: string): string {
  const cut = path.replace(/\/+$/, '').lastIndexOf('/');
  return cut < 0 ? '.' : cut === 0 ? '/' : path.slice(0, cut);
}

export function basename(path: string): string {
  return path.replace(/\/+$/, '').split('/').at(-1) ?? '';
}

export function join(...parts: string[]): string {
  return parts
    .filter((p) => p !== '')
    .join('/')
    .replace(/\/+/g, '/');
}

/** `to` relative to `from` when it lies under it, else `to` unchanged (enough for printing locations). */
export function relative(from: string, to: string): string {
  const base = from.endsWith('/') ? from : `${from}/`;
  return to.startsWith(base) ? to.slice(base.length) : to;
}
