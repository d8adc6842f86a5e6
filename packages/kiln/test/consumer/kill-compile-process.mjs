// Loaded into every process through NODE_OPTIONS=--import, but acts only in Kiln's compile
// process: it kills that process with SIGKILL as its first compile request arrives, before the
// compile starts, so the compile worker sees its child die in the middle of a compile.
if (process.argv[1]?.endsWith('compile-process.js')) {
  process.on('message', (message) => {
    if (message !== null && typeof message === 'object') process.kill(process.pid, 'SIGKILL');
  });
}
