import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The electron suite loads the built app (out/main/main.js, out/preload/preload.cjs, out/renderer): once per
 * run, out/ is rebuilt when it is missing or older than what it is built from. `npm test` builds just
 * before the suites, so there this finds it fresh.
 */
const OUTPUTS = ['out/main/main.js', 'out/preload/preload.cjs', 'out/renderer/index.html'];
const INPUTS = ['src-main', 'src-renderer', 'electron.vite.config.ts', 'package.json'];

function newestMtime(paths: string[]): number {
  return Math.max(
    ...paths.flatMap((p) =>
      statSync(p).isDirectory()
        ? readdirSync(p, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs)
        : [statSync(p).mtimeMs],
    ),
  );
}

export default function setup(): void {
  const fresh =
    OUTPUTS.every((o) => existsSync(o)) &&
    Math.min(...OUTPUTS.map((o) => statSync(o).mtimeMs)) >= newestMtime(INPUTS);
  if (fresh) return;
  process.stdout.write(
    'electron suite: out/ is missing or older than the sources: running electron-vite build\n',
  );
  const r = spawnSync('npx', ['electron-vite', 'build'], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0)
    throw new Error(`electron-vite build failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
}
