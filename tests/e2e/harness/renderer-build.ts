import { cp, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const RENDERER_DIR = join(REPO_ROOT, 'out', 'renderer');

/** What the built renderer is made from: a change to any of these makes out/renderer stale. */
const SOURCES = [
  'src-renderer',
  'src-main/ipc/contract.ts',
  'src-main/ipc/channels.ts',
  // The one module of the main process the renderer bundles (its lists, e.g. the severity order).
  'src-main/core/vocab.ts',
  'electron.vite.config.ts',
  'package.json',
];

async function newestMtime(path: string): Promise<number> {
  const s = await stat(path).catch(() => null);
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

export async function rendererIsFresh(): Promise<boolean> {
  const built = await stat(join(RENDERER_DIR, 'index.html')).catch(() => null);
  if (!built) return false;
  let newest = 0;
  for (const s of SOURCES) newest = Math.max(newest, await newestMtime(join(REPO_ROOT, s)));
  return built.mtimeMs >= newest;
}

/**
 * Builds the renderer with electron-vite's own configuration (the same plugins and minification as
 * `npm run build`), only the renderer: the main process may be mid-edit and is not what the browser loads.
 * It is built beside out/renderer and moved into place, so a reader never sees a half-written folder.
 */
export async function buildRenderer(): Promise<void> {
  const { resolveConfig } = await import('electron-vite');
  const { build } = await import('vite');
  const staging = join(REPO_ROOT, 'out', `.renderer-build-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  const resolved = await resolveConfig(
    { root: REPO_ROOT, logLevel: 'warn', build: { outDir: staging } },
    'build',
    'production',
  );
  const renderer = resolved.config?.renderer;
  if (!renderer) throw new Error('electron.vite.config.ts has no renderer section');
  await build({ ...renderer, logLevel: 'warn' });
  await mkdir(join(REPO_ROOT, 'out'), { recursive: true });
  await rm(RENDERER_DIR, { recursive: true, force: true });
  await rename(join(staging, 'renderer'), RENDERER_DIR);
  await rm(staging, { recursive: true, force: true });
}

const LOCK = join(REPO_ROOT, 'out', '.renderer-build.lock');

/** One build at a time across processes (vitest workers, the screenshot script): a mkdir lock. */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  await mkdir(join(REPO_ROOT, 'out'), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

/** out/renderer as `npm run build` left it when that is newer than its sources, else a fresh build. */
export async function ensureRendererBuilt(): Promise<string> {
  if (!(await rendererIsFresh()))
    await withBuildLock(async () => {
      if (!(await rendererIsFresh())) await buildRenderer();
    });
  return RENDERER_DIR;
}

/**
 * A private copy of the built renderer for one process to serve: a build started elsewhere meanwhile
 * (another worker, `npm run build`) replaces out/renderer and its hashed file names under a loaded page.
 */
export async function rendererSnapshot(): Promise<{ dir: string; remove(): Promise<void> }> {
  await ensureRendererBuilt();
  const dir = await mkdtemp(join(tmpdir(), 'hst-renderer-'));
  await withBuildLock(() => cp(RENDERER_DIR, dir, { recursive: true }));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
