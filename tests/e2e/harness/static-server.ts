import { Worker } from 'node:worker_threads';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * The server itself, run in a worker thread (plain JavaScript: a worker has no TypeScript loader). It reads
 * the folder once into memory and answers from there: the files Electron loads from its app.asar arrive
 * without the main process's JavaScript in the way, and here the test's own thread (the core, the lab,
 * Playwright's client) is just as busy, so answering from it would put its event-loop delays and the shared
 * libuv pool's file reads into every page load. Only files that exist are served; anything else is 404.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { readdirSync, readFileSync } = require('node:fs');
const { createServer } = require('node:http');
const { extname, join } = require('node:path');
const files = new Map();
const walk = (dir, prefix) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, prefix + entry.name + '/');
    else files.set(prefix + entry.name, {
      body: readFileSync(path),
      type: workerData.types[extname(entry.name)] || 'application/octet-stream',
    });
  }
};
walk(workerData.root, '/');
const server = createServer((req, res) => {
  let path;
  try {
    path = decodeURIComponent(new URL(req.url || '/', 'http://x').pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  // Chromium asks for a favicon Electron never requests; answering it keeps the console clean.
  if (path === '/favicon.ico') {
    res.writeHead(204).end();
    return;
  }
  const file = files.get(path === '/' ? '/index.html' : path);
  if (!file) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
  res.end(file.body);
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A folder (the built renderer) over http on 127.0.0.1: Chromium loads module scripts and lazy chunks from
 * http (from file:// it would need --allow-file-access-from-files). The page's own CSP meta is served as is.
 */
export async function serveDir(root: string): Promise<StaticServer> {
  const worker = new Worker(WORKER, { eval: true, workerData: { root, types: TYPES } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the static server's worker exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await worker.terminate();
    },
  };
}
