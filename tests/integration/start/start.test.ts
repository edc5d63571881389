import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `npm start` (scripts/start.mjs) on a fresh checkout: Electron 45's package has no binary until something
 * asks for it. Each case runs the real script in a project of its own whose node_modules/electron is
 * Electron's own package (its index.js and install.js, with @electron/get and the zip extractor) holding no
 * binary or a stand-in one. Downloads go to a mirror on loopback (ELECTRON_MIRROR, which @electron/get
 * honours) that serves a real zip of a stand-in Electron, or to a port nothing listens on: offline, for
 * Electron's downloader. electron-vite is a stand-in that records the build.
 */

const ELECTRON = resolve('node_modules/electron');
const VERSION = (JSON.parse(readFileSync(join(ELECTRON, 'package.json'), 'utf8')) as { version: string })
  .version;
const PLATFORM = { darwin: 'darwin', win32: 'win32' }[process.platform as string] ?? 'linux';
const ZIP_NAME = `electron-v${VERSION}-${PLATFORM}-${process.arch}.zip`;

/** The stand-in Electron executable: writes what it was started with, then exits with code 7. */
const STAND_IN_ELECTRON = `#!/bin/sh
printf '%s\\n' "$PWD" "$@" > "$START_RECORD_DIR/electron-ran"
exit 7
`;

/** A zip of stored (uncompressed) files with Unix modes, as Electron's release zips carry the executable. */
function zip(files: { name: string; data: Buffer; mode: number }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name);
    const crc = crc32(file.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(file.data.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(file.data.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | file.mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, file.data);
    centrals.push(central, name);
    offset += local.length + name.length + file.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const release = zip([
  { name: 'electron', data: Buffer.from(STAND_IN_ELECTRON), mode: 0o755 },
  { name: 'version', data: Buffer.from(`v${VERSION}`), mode: 0o644 },
]);

const scratch = mkdtempSync(join(tmpdir(), 'hst-start-'));
let mirror: Server;
let mirrorUrl: string;
let offlineUrl: string;
const requests: string[] = [];

beforeAll(async () => {
  mirror = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === `/v${VERSION}/${ZIP_NAME}`) {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': release.length });
      res.end(release);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
  mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;
  // A port that was just free: connecting to it is refused, as any server is to a machine offline.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  offlineUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
  await new Promise((r) => probe.close(r));
});
afterAll(async () => {
  await new Promise((r) => mirror.close(r));
  rmSync(scratch, { recursive: true, force: true });
});

let counter = 0;

/**
 * A checkout as start.mjs sees it: the script, package.json, Electron's own package (no binary, or
 * `withBinary`: a stand-in one as its installer leaves it) and a stand-in electron-vite.
 */
function project(options: { withBinary?: boolean } = {}) {
  const dir = join(scratch, `project-${++counter}`);
  const records = join(dir, 'records');
  const electron = join(dir, 'node_modules', 'electron');
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(records);
  cpSync('scripts/start.mjs', join(dir, 'scripts', 'start.mjs'));
  cpSync('package.json', join(dir, 'package.json'));
  mkdirSync(electron, { recursive: true });
  for (const file of ['package.json', 'index.js', 'install.js', 'cli.js'])
    cpSync(join(ELECTRON, file), join(electron, file));
  // Electron checks the zip against its checksums.json: the stand-in release's own sum.
  writeFileSync(
    join(electron, 'checksums.json'),
    JSON.stringify({ [ZIP_NAME]: createHash('sha256').update(release).digest('hex') }),
  );
  for (const dependency of ['@electron/get', '@electron-internal/extract-zip']) {
    mkdirSync(join(dir, 'node_modules', dependency, '..'), { recursive: true });
    symlinkSync(resolve('node_modules', dependency), join(dir, 'node_modules', dependency));
  }
  if (options.withBinary) {
    mkdirSync(join(electron, 'dist'));
    writeFileSync(join(electron, 'dist', 'electron'), STAND_IN_ELECTRON, { mode: 0o755 });
    writeFileSync(join(electron, 'dist', 'version'), `v${VERSION}`);
    writeFileSync(join(electron, 'path.txt'), 'electron');
  }
  const vite = join(dir, 'node_modules', 'electron-vite');
  mkdirSync(join(vite, 'bin'), { recursive: true });
  writeFileSync(
    join(vite, 'package.json'),
    JSON.stringify({
      name: 'electron-vite',
      version: '6.0.0',
      bin: { 'electron-vite': 'bin/electron-vite.js' },
    }),
  );
  writeFileSync(
    join(vite, 'bin', 'electron-vite.js'),
    `require('node:fs').writeFileSync(require('node:path').join(process.env.START_RECORD_DIR, 'built'), process.argv.slice(2).join(' '));\n`,
  );
  return { dir, records, electron };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  built: boolean;
  electronRan: string[] | null;
}

function start(at: ReturnType<typeof project>, env: Record<string, string>): Promise<Run> {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(base))
    if (/^(ELECTRON_|electron_|npm_config_electron|force_no_cache)/i.test(key)) delete base[key];
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(at.dir, 'scripts', 'start.mjs')], {
      cwd: at.dir,
      env: {
        ...base,
        START_RECORD_DIR: at.records,
        electron_config_cache: join(at.dir, 'electron-cache'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.on('error', fail);
    child.on('close', (status) => {
      clearTimeout(timer);
      const ran = join(at.records, 'electron-ran');
      done({
        status,
        stdout,
        stderr,
        built: existsSync(join(at.records, 'built')),
        electronRan: existsSync(ran) ? readFileSync(ran, 'utf8').trim().split('\n') : null,
      });
    });
  });
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('npm start', () => {
  it('with the binary present: builds and launches it on the checkout, without a download', async () => {
    const at = project({ withBinary: true });
    const before = requests.length;
    const run = await start(at, { ELECTRON_MIRROR: mirrorUrl });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('');
    expect(readFileSync(join(at.records, 'built'), 'utf8')).toBe('build');
    expect(run.electronRan).toEqual([at.dir, '.']);
    expect(run.status).toBe(7);
    expect(requests.length).toBe(before);
  }, 60_000);

  it("absent, online: one line says it is fetched, Electron's installer downloads it, then build and launch", async () => {
    const at = project();
    const run = await start(at, { ELECTRON_MIRROR: mirrorUrl });
    expect(run.stderr).toBe('');
    expect(lines(run.stdout)).toEqual([
      `Electron ${VERSION}'s binary is not downloaded yet: fetching it once from 127.0.0.1:${new URL(mirrorUrl).port} into node_modules/electron/dist …`,
    ]);
    expect(requests).toContain(`/v${VERSION}/${ZIP_NAME}`);
    expect(readFileSync(join(at.electron, 'path.txt'), 'utf8')).toBe('electron');
    expect(run.built).toBe(true);
    expect(run.electronRan).toEqual([at.dir, '.']);
    expect(run.status).toBe(7);

    // The next start finds it: no second download.
    const before = requests.length;
    const again = await start(at, { ELECTRON_MIRROR: mirrorUrl });
    expect(again.stdout).toBe('');
    expect(requests.length).toBe(before);
  }, 60_000);

  it('absent, offline: one line says what is missing and how to get it, nothing is built or launched', async () => {
    const at = project();
    const run = await start(at, { ELECTRON_MIRROR: offlineUrl });
    const host = new URL(offlineUrl).host;
    expect(lines(run.stderr)).toEqual([
      `Electron ${VERSION}'s binary (${process.platform}-${process.arch}) is not in node_modules/electron/dist and this machine cannot reach ${host} to download it: connect to the network (or set ELECTRON_MIRROR to a mirror you can reach) and run \`npm start\` again.`,
    ]);
    expect(run.stderr).not.toContain('ELECTRON_SKIP_BINARY_DOWNLOAD');
    expect(run.status).toBe(1);
    expect(run.built).toBe(false);
    expect(run.electronRan).toBeNull();
    expect(existsSync(join(at.electron, 'dist'))).toBe(false);
  }, 60_000);

  it('absent, the download answered with an error status: the line says so', async () => {
    const at = project();
    const run = await start(at, { ELECTRON_MIRROR: `${mirrorUrl}nothing-here/` });
    expect(lines(run.stderr)).toEqual([
      `Electron ${VERSION}'s binary (${process.platform}-${process.arch}) is not in node_modules/electron/dist: ${new URL(mirrorUrl).host} answered 404 to its download; check ELECTRON_MIRROR if you set one, then run \`npm start\` again.`,
    ]);
    expect(run.status).toBe(1);
    expect(run.built).toBe(false);
  }, 60_000);

  it('absent with ELECTRON_SKIP_BINARY_DOWNLOAD set: no download is tried, and the line names the variable', async () => {
    const at = project();
    const before = requests.length;
    const run = await start(at, { ELECTRON_MIRROR: mirrorUrl, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
    expect(lines(run.stderr)).toEqual([
      `Electron ${VERSION}'s binary is not in node_modules/electron/dist, and ELECTRON_SKIP_BINARY_DOWNLOAD is set, so it is not downloaded: unset it and run \`npm start\` again (or run \`npx install-electron\`).`,
    ]);
    expect(run.stdout).toBe('');
    expect(run.status).toBe(1);
    expect(requests.length).toBe(before);
    expect(run.built).toBe(false);
  }, 60_000);
});
