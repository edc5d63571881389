import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve, sep } from 'node:path';
import { extractFile, listPackage, statFile } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { trayIconFile } from '../../../src-main/desktop/model/tray-icons';
import { TRAY_STATES } from '../../../src-main/desktop/model/tray-state';
import { ELECTRON_VERSION, FUSES, readFuses, standInElectron } from './stand-in-electron';

/**
 * The app packed as a release is packed (electron-builder with electron-builder.yml), for `--linux dir`
 * with a stand-in Electron: the offline way TOOLCHAIN.md describes. Checks what a user gets: app.asar with
 * the built app, keytar and the SQLite binding only, the native modules unpacked, the icons beside it, and the fuses flipped.
 * The e2e build (electron-builder.e2e.yml) is packed too: same files, one fuse different.
 */

const EXECUTABLE = 'homeserver-tray';

/** out/ older than what it is built from (or missing) is rebuilt; `npm test` builds it just before. */
function buildIfStale(): void {
  const outputs = ['out/main/main.js', 'out/preload/preload.cjs', 'out/renderer/index.html'];
  const newest = (paths: string[]) =>
    Math.max(
      ...paths.flatMap((p) =>
        statSync(p).isDirectory()
          ? readdirSync(p, { recursive: true, withFileTypes: true })
              .filter((e) => e.isFile())
              .map((e) => statSync(join(e.parentPath, e.name)).mtimeMs)
          : [statSync(p).mtimeMs],
      ),
    );
  const fresh =
    outputs.every((o) => existsSync(o)) &&
    Math.min(...outputs.map((o) => statSync(o).mtimeMs)) >=
      newest(['src-main', 'src-renderer', 'electron.vite.config.ts', 'package.json']);
  if (fresh) return;
  process.stdout.write(
    'pack.test.ts: out/ is missing or older than the sources: running electron-vite build\n',
  );
  const r = spawnSync('npx', ['electron-vite', 'build'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`electron-vite build failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
}

interface Packed {
  resources: string;
  asar: string;
  files: string[];
  binary: string;
}

/** electron-builder runs still going when the tests end (a hook that timed out): stopped in afterAll. */
const running = new Set<ChildProcess>();

function pack(config: string, output: string, electronDist: string): Promise<Packed> {
  const args = [
    join('node_modules', 'electron-builder', 'cli.js'),
    '--linux',
    'dir',
    '--publish',
    'never',
    '--config',
    config,
    `-c.electronDist=${electronDist}`,
    `-c.electronVersion=${ELECTRON_VERSION}`,
    '-c.npmRebuild=false',
    `-c.directories.output=${output}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let log = '';
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      running.delete(child);
      const resources = join(output, 'linux-unpacked', 'resources');
      const asar = join(resources, 'app.asar');
      if (code !== 0 || !existsSync(asar)) {
        const reason =
          log
            .split('\n')
            .find((l) => /error|⨯|cannot|failed/i.test(l))
            ?.replace(/\s+failedTask=.*$/, '')
            .trim()
            .slice(0, 300) ?? `exit ${code}`;
        process.stdout.write(`pack.test.ts: electron-builder could not pack ${config}: ${reason}\n`);
        reject(new Error(`electron-builder could not pack ${config} (exit ${code}):\n${log}`));
        return;
      }
      resolve({
        resources,
        asar,
        // Files only: the listing also names each folder (node_modules/@photostructure, …).
        files: listPackage(asar, { isPack: false })
          .map((f) => f.replace(/^[\\/]/, '').replaceAll('\\', '/'))
          .filter((f) => !('files' in statFile(asar, f))),
        binary: join(output, 'linux-unpacked', EXECUTABLE),
      });
    });
  });
}

describe('the packaged app (electron-builder --linux dir, stand-in Electron)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'hst-pack-'));
  let release: Packed;
  let e2e: Packed;

  beforeAll(async () => {
    buildIfStale();
    const electronDist = join(tmp, 'electron-dist');
    mkdirSync(electronDist);
    standInElectron(electronDist);
    [release, e2e] = await Promise.all([
      pack('electron-builder.yml', join(tmp, 'release'), electronDist),
      pack('electron-builder.e2e.yml', join(tmp, 'e2e'), electronDist),
    ]);
    // Both packs together take about 10 s; the margin is for a loaded machine running other suites.
  }, 90_000);
  afterAll(() => {
    for (const child of running) child.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('app.asar holds the main bundle, the preload and the whole renderer', () => {
    expect(release.files).toEqual(
      expect.arrayContaining([
        'package.json',
        'out/main/main.js',
        'out/preload/preload.cjs',
        'out/renderer/index.html',
      ]),
    );
    const assets = readdirSync('out/renderer/assets').filter((f) => !f.endsWith('.map'));
    expect(assets.length).toBeGreaterThan(0);
    for (const a of assets) expect(release.files, a).toContain(`out/renderer/assets/${a}`);
  });

  it('its package.json starts out/main/main.js as an ES module', () => {
    const pkg = JSON.parse(extractFile(release.asar, 'package.json').toString()) as {
      main: string;
      type: string;
    };
    expect(pkg.main).toBe('out/main/main.js');
    expect(pkg.type).toBe('module');
  });

  it('beside the bundle only keytar and the SQLite binding of the history, their .node files unpacked next to the archive', () => {
    const modules = release.files.filter((f) => f.startsWith('node_modules/'));
    expect(
      new Set(
        modules.map((f) =>
          f
            .split('/')
            .slice(1, f.startsWith('node_modules/@') ? 3 : 2)
            .join('/'),
        ),
      ),
    ).toEqual(new Set(['keytar', '@photostructure/sqlite', 'node-gyp-build']));
    const keytar = 'node_modules/keytar/build/Release/keytar.node';
    // node-gyp-build looks in prebuilds/<platform>-<arch>/ for the binary of this libc: only the target's ship.
    const prebuilds = `node_modules/@photostructure/sqlite/prebuilds/${process.platform}-${process.arch}`;
    const sqlite = readdirSync(
      join('node_modules/@photostructure/sqlite/prebuilds', `${process.platform}-${process.arch}`),
    )
      .filter((f) => f.endsWith('.node'))
      .map((f) => `${prebuilds}/${f}`);
    expect(sqlite.length).toBeGreaterThan(0);
    expect(modules).toEqual(
      expect.arrayContaining([
        'node_modules/keytar/package.json',
        'node_modules/keytar/lib/keytar.js',
        keytar,
        'node_modules/@photostructure/sqlite/package.json',
        'node_modules/@photostructure/sqlite/dist/index.mjs',
        'node_modules/node-gyp-build/package.json',
        'node_modules/node-gyp-build/index.js',
        'node_modules/node-gyp-build/node-gyp-build.js',
      ]),
    );
    for (const native of [keytar, ...sqlite]) {
      expect(statFile(release.asar, native), native).toMatchObject({ unpacked: true });
      expect(existsSync(join(release.resources, 'app.asar.unpacked', native)), native).toBe(true);
    }
    expect(release.files.filter((f) => f.endsWith('.node')).sort()).toEqual([keytar, ...sqlite].sort());
  });

  it('the packed SQLite binding opens a database from where the package puts it', () => {
    // Node (not Electron) stands in for the app here: both load the same Node-API binary without a rebuild.
    const root = join(release.resources, 'app.asar.unpacked');
    const copy = mkdtempSync(join(tmpdir(), 'hst-pack-sqlite-'));
    try {
      for (const f of release.files.filter((f) =>
        /^node_modules\/(@photostructure\/sqlite|node-gyp-build)\//.test(f),
      )) {
        const target = join(copy, f);
        mkdirSync(join(target, '..'), { recursive: true });
        const unpacked = join(root, f);
        writeFileSync(target, existsSync(unpacked) ? readFileSync(unpacked) : extractFile(release.asar, f));
      }
      const script = `import('@photostructure/sqlite').then(({ DatabaseSync }) => {
        const db = new DatabaseSync(':memory:');
        console.log(db.prepare('SELECT sqlite_version() AS v').get().v);
      })`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: copy,
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toMatch(/^3\.\d+\.\d+$/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("every module main.js loads is in the package, built in, or one of ssh2's optional addons it loads in try/catch", () => {
    const bundle = readFileSync('out/main/main.js', 'utf8');
    // Lines of code only: the bundle keeps its sources' doc comments, which show imports as examples.
    const codeLines = bundle.split('\n').filter((l) => !/^\s*(\*|\/\*|\/\/)/.test(l));
    const specifiers = new Set(
      codeLines.flatMap((l) =>
        [
          ...l.matchAll(
            /(?:^import\s.*\bfrom\s*|\bimport\(\s*|\b__require\(\s*|\brequire\(\s*)["']([^"']+)["']/g,
          ),
        ].map((m) => m[1] as string),
      ),
    );
    // The bundler writes ssh2's addon path relative to the entry's source folder (src-main/desktop), from
    // where ssh2 really is: ../../node_modules/… in a checkout, further up when node_modules is a link.
    const ssh2Crypto = realpathSync(join('node_modules', 'ssh2', 'lib', 'protocol', 'crypto'));
    const optional = [
      'cpu-features',
      `${relative(resolve('src-main', 'desktop'), ssh2Crypto).split(sep).join('/')}/build/Release/sshcrypto.node`,
    ];
    const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const spec of optional)
      expect(bundle, `${spec} is loaded inside try/catch`).toMatch(
        new RegExp(`try\\s*\\{\\s*[^;\\n]*__require\\(["']${literal(spec)}["']\\)`),
      );
    for (const spec of specifiers) {
      if (spec === 'electron' || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      if (optional.includes(spec)) continue;
      const inPackage = spec.startsWith('.')
        ? release.files.includes(posix.join('out/main', spec))
        : release.files.includes(`node_modules/${spec}/package.json`);
      expect(inPackage, `main.js loads ${spec}, which the package does not hold`).toBe(true);
    }
  });

  it('no tests, sources, configs, lab, docs, scripts or source maps', () => {
    const unwanted = release.files.filter(
      (f) =>
        /^(src-main|src-renderer|tests|scripts|docs|assets|coverage|dist|\.ci|\.lab|test-results)(\/|$)/.test(
          f,
        ) ||
        /\.(ts|tsx|mts|map)$/.test(f) ||
        /(^|\/)(tsconfig[^/]*\.json|vite\.config\.\w+|vitest\.config\.\w+|electron\.vite\.config\.\w+|biome\.json|electron-builder[^/]*\.yml|package-lock\.json|README\.md|\.gitignore)$/.test(
          f,
        ),
    );
    expect(unwanted).toEqual([]);
    const top = new Set(release.files.map((f) => f.split('/')[0]));
    expect(top).toEqual(new Set(['out', 'node_modules', 'package.json']));
  });

  it('not the command line of a checkout (out/cli, built beside the app): releases carry the window app only', () => {
    expect(existsSync('out/cli/main.mjs'), 'the integration suite built the command line').toBe(true);
    expect(release.files.filter((f) => f.startsWith('out/cli/'))).toEqual([]);
  });

  it('the tray icons of every platform and the window icon ship beside app.asar (resources/assets)', () => {
    const assets = join(release.resources, 'assets');
    for (const state of TRAY_STATES)
      for (const platform of ['darwin', 'win32', 'linux'] as const) {
        const file = trayIconFile(assets, state, platform);
        expect(existsSync(file), file).toBe(true);
      }
    expect(existsSync(join(assets, 'icons', '512x512.png'))).toBe(true);
    expect(readdirSync(assets).sort()).toEqual(['icons', 'tray']);
  });

  it('the release binary has its fuses flipped as electron-builder.yml says; the rest keep Electron defaults', () => {
    const config = (
      parseYaml(readFileSync('electron-builder.yml', 'utf8')) as { electronFuses: Record<string, boolean> }
    ).electronFuses;
    const defaults = Object.fromEntries(FUSES.map(([name, d]) => [name, d === '1']));
    expect(readFuses(release.binary)).toEqual({ ...defaults, ...config });
    expect(readFuses(release.binary)).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
  });

  it('the e2e build packs the same files and differs only in the Node inspector fuse Playwright needs', () => {
    expect(e2e.files).toEqual(release.files);
    const a = readFuses(release.binary);
    const b = readFuses(e2e.binary);
    expect(b).toEqual({ ...a, enableNodeCliInspectArguments: true });
  });
});
