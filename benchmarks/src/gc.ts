/** @file A full garbage collection on demand (V8's gc(), exposed at run time without a node flag). */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');

/** Runs a full, synchronous garbage collection. */
export const collectGarbage = runInNewContext('gc') as () => void;
