/**
 * @file The global switch that makes every traced function run its body eagerly, op by op, for
 * debugging (like tf.config.run_functions_eagerly).
 */

let runEagerly = false;

/** Runs every traced function eagerly (its body, op by op), for debugging; like tf.config.run_functions_eagerly. */
export function runFunctionsEagerly(on: boolean): void {
  runEagerly = on;
}

export function functionsRunEagerly(): boolean {
  return runEagerly;
}
