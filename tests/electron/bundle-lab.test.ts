import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { secureWebPreferences } from '../../src-main/desktop/model/window-security';
import { standIn } from '../support/electron/control';
import { type LaunchedApp, launchOnLab, REPO_ROOT, until } from './lab-app';

/**
 * The built bundle as a package holds it: out/main/main.js and out/preload/preload.cjs, copied with the
 * files electron-builder.yml puts into app.asar (here an `app` folder, the same paths inside) and the icons
 * it puts beside it (resources/assets). The bundle is loaded with the electron stand-in as the packaged app
 * starts, on the lab: every external it needs resolves from the package alone, the preload runs as a
 * sandboxed renderer runs it, the icons and the renderer are found where the package has them, and the app
 * works (a profile saved, its secrets stored through the packaged keytar, the tray green).
 */

/** What electron-builder.yml's `files` and `extraResources` say; the test copies exactly this. */
const PACKED_FILES = [
  'out/main/**',
  'out/preload/**',
  'out/renderer/**',
  '!**/*.map',
  'package.json',
  '!node_modules/**',
  'node_modules/keytar/package.json',
  'node_modules/keytar/lib/**',
  'node_modules/keytar/build/Release/keytar.node',
  'node_modules/@photostructure/sqlite/package.json',
  'node_modules/@photostructure/sqlite/dist/index.mjs',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: electron-builder's own macros, as the yml writes them
  'node_modules/@photostructure/sqlite/prebuilds/${platform}-${arch}/**',
  'node_modules/node-gyp-build/package.json',
  'node_modules/node-gyp-build/index.js',
  'node_modules/node-gyp-build/node-gyp-build.js',
];
const EXTRA_RESOURCES = [{ from: 'assets', to: 'assets', filter: ['tray/**', 'icons/**'] }];

const layout = mkdtempSync(join(tmpdir(), 'hst-packed-'));
const resources = join(layout, 'resources');
const appDir = join(resources, 'app');
const mainJs = join(appDir, 'out', 'main', 'main.js');
const preloadCjs = join(appDir, 'out', 'preload', 'preload.cjs');

function copy(from: string, to: string): void {
  mkdirSync(join(to, '..'), { recursive: true });
  cpSync(join(REPO_ROOT, from), to, { recursive: true, dereference: true });
}

function packLayout(): void {
  for (const built of ['main', 'preload', 'renderer']) copy(join('out', built), join(appDir, 'out', built));
  for (const map of ['main/main.js.map', 'preload/preload.cjs.map'])
    rmSync(join(appDir, 'out', map), { force: true });
  copy('package.json', join(appDir, 'package.json'));
  for (const file of ['package.json', 'lib', 'build/Release/keytar.node'])
    copy(join('node_modules/keytar', file), join(appDir, 'node_modules/keytar', file));
  // The SQLite binding of the history: its ES entry, and only this platform's prebuilt binary.
  const sqlite = 'node_modules/@photostructure/sqlite';
  for (const file of ['package.json', 'dist/index.mjs', `prebuilds/${process.platform}-${process.arch}`])
    copy(join(sqlite, file), join(appDir, sqlite, file));
  for (const file of ['package.json', 'index.js', 'node-gyp-build.js'])
    copy(join('node_modules/node-gyp-build', file), join(appDir, 'node_modules/node-gyp-build', file));
  for (const dir of ['tray', 'icons']) copy(join('assets', dir), join(resources, 'assets', dir));
}

/** The modules the bundle loads at run time: static imports, import(), and require() through createRequire. */
function externalsOf(bundle: string): { name: string; guarded: boolean; esm: boolean }[] {
  const lines = bundle.split('\n');
  const found: { name: string; guarded: boolean; esm: boolean }[] = [];
  const patterns = [/^import .* from "([^"]+)";$/g, /\bimport\("([^"]+)"\)/g, /\b__require\("([^"]+)"\)/g];
  lines.forEach((line, i) => {
    for (const pattern of patterns)
      for (const m of line.matchAll(pattern))
        found.push({
          name: m[1] as string,
          guarded: /\btry \{\s*$/.test(lines[i - 1] ?? ''),
          esm: !pattern.source.includes('__require'),
        });
  });
  return found;
}

/**
 * Where an import of `name` from the package resolves, as Node resolves it for an ES module (the `import`
 * condition of the package's exports, which require.resolve does not see); null when it does not.
 */
function resolveImport(name: string): string | null {
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `console.log(import.meta.resolve(${JSON.stringify(name)}))`],
    { cwd: appDir, encoding: 'utf8' },
  );
  return r.status === 0 ? fileURLToPath(r.stdout.trim()) : null;
}

const isBuiltin = (name: string) => name.startsWith('node:') || builtinModules.includes(name);

let d: LaunchedApp;

beforeAll(async () => {
  packLayout();
  d = await launchOnLab({
    importMain: () => import(pathToFileURL(mainJs).href),
    runPreload: async () => standIn.page.runPreload(preloadCjs),
    appPath: appDir,
    resourcesPath: resources,
  });
});

afterAll(async () => {
  await d?.stop();
  rmSync(layout, { recursive: true, force: true });
});

describe('the packed layout', () => {
  it('is what electron-builder.yml packs', () => {
    const config = parseYaml(readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8')) as {
      files: string[];
      extraResources: unknown[];
    };
    expect(config.files).toEqual(PACKED_FILES);
    expect(config.extraResources).toEqual(EXTRA_RESOURCES);
  });

  it('main.js needs only Node, electron and what the package carries; optional natives are guarded', () => {
    const externals = externalsOf(readFileSync(mainJs, 'utf8'));
    expect(externals.length).toBeGreaterThan(10);
    const requireFromApp = createRequire(mainJs);
    const unresolved: string[] = [];
    for (const { name, guarded, esm } of externals) {
      if (isBuiltin(name) || name === 'electron') continue;
      let resolved: string | null = null;
      try {
        resolved = esm ? resolveImport(name) : requireFromApp.resolve(name);
      } catch {
        resolved = null;
      }
      if (resolved !== null)
        expect(resolved.startsWith(appDir), `${name} resolved outside the package`).toBe(true);
      else if (guarded) continue;
      else unresolved.push(name);
    }
    expect(unresolved).toEqual([]);
    expect(externals.filter((e) => !isBuiltin(e.name) && e.name !== 'electron').map((e) => e.name)).toContain(
      'keytar',
    );
  });
});

describe('the bundle started as the packaged app', () => {
  it('the tray shows its icon from resources/assets', () => {
    const view = standIn.trayView(d.tray);
    expect(view.image).toBe(join(resources, 'assets', 'tray', 'tray-unknown-32.png'));
    expect(view.imageEmpty).toBe(false);
  });

  it('the window loads the renderer and the preload from inside the package, and its icon from beside it', async () => {
    const view = await until(
      'the window on screen',
      () => standIn.windowView(d.window).visible && standIn.windowView(d.window),
    );
    expect(view.url).toBe(pathToFileURL(join(appDir, 'out', 'renderer', 'index.html')).href);
    expect(view.options.webPreferences).toEqual(
      secureWebPreferences({ preload: preloadCjs, devTools: false }),
    );
    expect(existsSync(preloadCjs)).toBe(true);
    expect(view.options.icon).toBe(join(resources, 'assets', 'icons', '512x512.png'));
    expect(existsSync(view.options.icon as string)).toBe(true);
  });

  it('the built preload, run as a sandboxed renderer runs it, gives the page a working window.api', async () => {
    expect(Object.keys(standIn.page.world())).toEqual(['api']);
    const version = (JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as { version: string })
      .version;
    expect(await d.api.app.info()).toEqual({
      ok: true,
      value: { version, platform: process.platform, firstRun: true },
    });
  });

  it('works: a profile saved, its secrets in the keychain through the packaged keytar, the tray green', async () => {
    await d.onboard();
    await until(
      'the tray to turn ok',
      () => standIn.trayView(d.tray).image?.endsWith('tray-ok-32.png'),
      60_000,
    );
    expect(standIn.trayView(d.tray).image).toBe(join(resources, 'assets', 'tray', 'tray-ok-32.png'));
    expect(await d.api.secrets.has({ kind: 'sudo-password', host: 'homeserver' })).toEqual({
      ok: true,
      value: { stored: true },
    });
    // The keytar addon this process loaded is the package's own copy.
    const maps = readFileSync('/proc/self/maps', 'utf8');
    expect(maps).toContain(join(appDir, 'node_modules', 'keytar', 'build', 'Release', 'keytar.node'));
  });
});
