/**
 * @file A tiny static server for the built page, with the headers that make a page cross-origin
 * isolated (COOP/COEP), which SharedArrayBuffer and so Wasm threads need; without them Kiln runs
 * single-threaded. Binds 127.0.0.1 only.
 *   node scripts/run-ts.mjs examples/browser/serve.ts [--port N] [--watch]
 * builds the page (the packages' dist/ first), serves it, and with --watch rebuilds on change.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPage, OUT_DIR } from './build.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.png': 'image/png',
};

/** The headers every response carries: cross-origin isolation, and no caching of a dev build. */
const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `dir` on 127.0.0.1 (`port` 0 picks a free one). Resolves to its URL and a close(). */
export function startServer(dir = OUT_DIR, { port = 0 } = {}): Promise<RunningServer> {
  const served = resolve(dir);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(served, path.endsWith('/') ? `${path}index.html` : path));
    const readOnly = req.method === 'GET' || req.method === 'HEAD';
    if (!readOnly || !file.startsWith(served + sep)) {
      res.writeHead(readOnly ? 403 : 405, HEADERS).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...HEADERS, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address() as AddressInfo;
      resolveStart({
        url: `http://127.0.0.1:${actual}/`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8080;
  if (args.includes('--watch')) await buildPage({ watch: true });
  else await buildPage();
  const { url } = await startServer(OUT_DIR, { port });
  console.log(`serving the Kiln page at ${url} (cross-origin isolated); Ctrl-C stops`);
}
