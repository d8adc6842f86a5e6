/**
 * @file Bundled with kiln-jit by bundle.test.ts (as a page's bundler would) and run: makes a
 * bad-input error in this file and prints it as JSON, so the test can check the error names this
 * file's line through the bundle's source map.
 */
import { add, ones, KilnError } from 'kiln-jit';

function misuse(): void {
  add(ones([2]), ones([3])); // the bad call
}

try {
  misuse();
  console.log(JSON.stringify({ thrown: false }));
} catch (e) {
  const { name, detail, location } = e as KilnError;
  console.log(JSON.stringify({ thrown: true, isKilnError: e instanceof KilnError, name, detail, location }));
}
