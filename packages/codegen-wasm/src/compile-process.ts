/**
 * @file The compile process: a child of the compile worker that holds Binaryen (~80 MB), so that
 * the user's process never does. It answers each request over its IPC channel (structured clone),
 * and exits when the channel closes: when the worker ends after its idle seconds, or the user's
 * process exits.
 */
import { startCompiler } from './compile-service.ts';
import type { WorkerRequest } from './off-thread.ts';

// Loading Binaryen starts at once; a request that comes meanwhile waits for it.
const compiler = startCompiler();
process.on('message', (request) => {
  void compiler.then((compile) => process.send!(compile(request as WorkerRequest)));
});
process.on('disconnect', () => process.exit(0));
// Messages that came before the listener above would have been dropped: the worker sends none
// until it hears this.
process.send!('ready');
