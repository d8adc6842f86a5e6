/**
 * @file `node:fs` for the browser bundle: a page has no file system, so saving or loading a
 * safetensors file by path says so (serialize to bytes in memory instead).
 */
const unavailable = (name: string) => (): never => {
  throw new Error(
    `${name}: there is no file system in the browser; encode to bytes with encodeSafetensors and decodeSafetensors instead`,
  );
};

export const closeSync = unavailable('closeSync');
export const fsyncSync = unavailable('fsyncSync');
export const openSync = unavailable('openSync');
export const readFileSync = unavailable('readFileSync');
export const renameSync = unavailable('renameSync');
export const rmSync = unavailable('rmSync');
export const writeSync = unavailable('writeSync');
