// `node --import ./forbid-binaryen.mjs app.mjs`: the process fails if anything imports binaryen.
import { register } from 'node:module';

const hook = `export async function resolve(specifier, context, next) {
  if (specifier === 'binaryen') throw new Error('binaryen was imported');
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
