import { spawn, spawnSync } from 'node:child_process';
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
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extractFile } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ELECTRON_VERSION, standInElectron } from './stand-in-electron';

/**
 * `npm run dist` (scripts/dist.mjs) names the person who builds the package, never an invented one: the
 * maintainer from HOMESERVER_TRAY_MAINTAINER or the builder's git identity, the homepage from
 * HOMESERVER_TRAY_HOMEPAGE or an https origin remote; without them the .deb is left out with one line and
 * the other targets still build. Each case runs the real script in a checkout of its own (real git, its own
 * config and remotes, no global git identity) and reads the effective electron-builder configuration:
 * printed by --dry-run, and as electron-builder hands it on when it packs with a stand-in Electron
 * (electron-builder cannot download its tools here).
 */

const scratch = mkdtempSync(join(tmpdir(), 'hst-dist-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const MAINTAINER_LINE = 'HOMESERVER_TRAY_MAINTAINER="Name <email>" (or git config user.name and user.email)';
const HOMEPAGE_LINE = 'HOMESERVER_TRAY_HOMEPAGE=https://… (or an https origin remote)';

interface Checkout {
  dir: string;
  home: string;
}

let counter = 0;

/**
 * A checkout of the project as far as packaging goes: the script, the builder config, package.json,
 * the icons, a built app in out/ (a stub main: what is packed is checked by pack.test.ts) and the
 * installed node_modules; with the git identity and origin of the case.
 */
function checkout(git: { name?: string; email?: string; origin?: string }): Checkout {
  const dir = join(scratch, `checkout-${++counter}`);
  const home = join(scratch, `home-${counter}`);
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  mkdirSync(home);
  for (const file of ['package.json', 'package-lock.json', 'electron-builder.yml', 'scripts/dist.mjs'])
    cpSync(file, join(dir, file));
  cpSync('assets', join(dir, 'assets'), { recursive: true });
  for (const [file, text] of [
    ['out/main/main.js', 'export {};\n'],
    ['out/preload/preload.cjs', '"use strict";\n'],
    ['out/renderer/index.html', '<!doctype html>\n'],
  ] as const) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  symlinkSync(resolve('node_modules'), join(dir, 'node_modules'));
  const env = isolatedGit(home);
  const run = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  run('init', '-q');
  if (git.name) run('config', 'user.name', git.name);
  if (git.email) run('config', 'user.email', git.email);
  if (git.origin) run('remote', 'add', 'origin', git.origin);
  return { dir, home };
}

/** No global or system git identity: only what the case's checkout says. */
function isolatedGit(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: join(home, '.gitconfig'),
  };
  for (const key of Object.keys(env))
    if (
      key.startsWith('HOMESERVER_TRAY_') ||
      key.startsWith('GIT_AUTHOR_') ||
      key.startsWith('GIT_COMMITTER_')
    )
      delete env[key];
  return { ...env, GIT_CONFIG_NOSYSTEM: '1' };
}

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function dist(at: Checkout, args: string[], vars: Record<string, string> = {}): Outcome {
  const r = spawnSync(process.execPath, [join(at.dir, 'scripts', 'dist.mjs'), ...args], {
    cwd: at.dir,
    env: { ...isolatedGit(at.home), ...vars },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface BuilderConfig {
  linux: { target: unknown[]; maintainer?: string; vendor?: string };
  mac: { target: unknown[] };
  win: { target: unknown[] };
  extraMetadata?: { homepage?: string };
}

/** The --dry-run output: the electron-builder command line, then the configuration it would be given. */
function dryRun(at: Checkout, args: string[], vars: Record<string, string> = {}) {
  const out = dist(at, ['--dry-run', ...args], vars);
  expect(out.status, out.stderr).toBe(0);
  const [command, ...yaml] = out.stdout.split('\n');
  return {
    command: command as string,
    config: parseYaml(yaml.join('\n')) as BuilderConfig,
    lines: out.stderr.split('\n').filter((l) => l !== ''),
  };
}

describe('npm run dist: who the .deb names', () => {
  it('HOMESERVER_TRAY_MAINTAINER and HOMESERVER_TRAY_HOMEPAGE go to the .deb as given', () => {
    const at = checkout({
      name: 'Git Name',
      email: 'git@example.org',
      origin: 'https://git.example/a/b.git',
    });
    const { config, lines } = dryRun(at, ['--linux'], {
      HOMESERVER_TRAY_MAINTAINER: 'Ada Admin <ada@family.example>',
      HOMESERVER_TRAY_HOMEPAGE: 'https://family.example/tray',
    });
    expect(lines).toEqual([]);
    expect(config.linux).toMatchObject({
      target: ['AppImage', 'deb'],
      maintainer: 'Ada Admin <ada@family.example>',
      vendor: 'Ada Admin <ada@family.example>',
    });
    expect(config.extraMetadata).toEqual({ homepage: 'https://family.example/tray' });
  });

  it("otherwise the builder's git identity and the https origin, without credentials or .git", () => {
    const at = checkout({
      name: 'Grace Builder',
      email: 'grace@example.org',
      origin: 'https://grace:ghp_secret@github.com/grace/homeserver-tray.git',
    });
    const { config, lines, command } = dryRun(at, []);
    expect(lines).toEqual([]);
    expect(config.linux).toMatchObject({
      target: ['AppImage', 'deb'],
      maintainer: 'Grace Builder <grace@example.org>',
    });
    expect(config.extraMetadata).toEqual({ homepage: 'https://github.com/grace/homeserver-tray' });
    expect(command).not.toContain('secret');
  });

  it('with neither, one line names both variables, the .deb is left out and the AppImage, dmg and nsis still build', () => {
    const at = checkout({ origin: 'git@github.com:someone/homeserver-tray.git' });
    const linux = dryRun(at, ['--linux']);
    expect(linux.lines).toEqual([
      `dist: no .deb: it must name its maintainer and homepage, and none is made up; set ${MAINTAINER_LINE} and ${HOMEPAGE_LINE}.`,
    ]);
    expect(linux.config.linux.target).toEqual(['AppImage']);
    expect(linux.config.linux.maintainer).toBeUndefined();
    expect(linux.config.extraMetadata).toBeUndefined();
    expect(linux.command).toBe('# electron-builder --linux --config <the configuration below>');

    for (const [flag, target] of [
      ['--mac', 'dmg'],
      ['--win', 'nsis'],
    ] as const) {
      const other = dryRun(at, [flag]);
      expect(other.lines, flag).toEqual([]);
      expect(other.config[flag === '--mac' ? 'mac' : 'win'].target).toEqual([target]);
    }
    const all = dryRun(at, ['--linux', 'deb', 'AppImage', '--win']);
    expect(all.lines).toHaveLength(1);
    expect(all.command).toBe('# electron-builder --linux AppImage --win --config <the configuration below>');
  });

  it('only what is missing is named; a .deb asked for alone is refused with nothing built', () => {
    const noEmail = checkout({ name: 'No Mail', origin: 'https://github.com/x/y' });
    const { lines, config } = dryRun(noEmail, ['--linux']);
    expect(lines).toEqual([
      `dist: no .deb: it must name its maintainer, and none is made up; set ${MAINTAINER_LINE}.`,
    ]);
    expect(config.extraMetadata).toEqual({ homepage: 'https://github.com/x/y' });

    const onlyDeb = dist(noEmail, ['--dry-run', '--linux', 'deb']);
    expect(onlyDeb.status).toBe(1);
    expect(onlyDeb.stdout).toBe('');
    expect(onlyDeb.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a malformed variable is refused with one line and changes nothing', () => {
    const at = checkout({});
    for (const [vars, line] of [
      [
        { HOMESERVER_TRAY_MAINTAINER: 'ada@family.example' },
        'dist: HOMESERVER_TRAY_MAINTAINER must read "Name <email>", not "ada@family.example".',
      ],
      [
        { HOMESERVER_TRAY_HOMEPAGE: 'ftp://family.example' },
        'dist: HOMESERVER_TRAY_HOMEPAGE must be an http(s) URL, not "ftp://family.example".',
      ],
    ] as const) {
      const out = dist(at, ['--dry-run'], vars);
      expect(out.status).toBe(1);
      expect(out.stdout).toBe('');
      expect(out.stderr).toBe(`${line}\n`);
    }
  });

  it('package.json names no homepage, author or maintainer, and dist leaves it as it is', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as Record<string, unknown>;
    for (const key of ['homepage', 'author', 'maintainer', 'contributors', 'repository', 'bugs'])
      expect(pkg, key).not.toHaveProperty(key);
    const at = checkout({ name: 'Grace', email: 'grace@example.org', origin: 'https://github.com/g/h' });
    const before = readFileSync(join(at.dir, 'package.json'), 'utf8');
    dryRun(at, ['--linux']);
    expect(readFileSync(join(at.dir, 'package.json'), 'utf8')).toBe(before);
  });
});

/**
 * fpm, the tool electron-builder makes a .deb with, comes from GitHub and cannot be fetched here. The stand-in
 * (CUSTOM_FPM_PATH, electron-builder's own switch) records the command line electron-builder gives it and
 * leaves the package file where fpm would, so the .deb's metadata can be checked as electron-builder passes it.
 */
const STAND_IN_FPM = `#!/usr/bin/env node
const { writeFileSync } = require('node:fs');
const args = process.argv.slice(2);
writeFileSync(process.env.FPM_ARGV_FILE, JSON.stringify(args));
writeFileSync(args[args.indexOf('--package') + 1], '');
`;

describe('npm run dist, packed by electron-builder with a stand-in Electron (and a stand-in fpm for the .deb)', () => {
  const tools = join(scratch, 'tools');
  const electronDist = join(tools, 'electron-dist');
  const fpm = join(tools, 'fpm');
  beforeAll(() => {
    mkdirSync(electronDist, { recursive: true });
    standInElectron(electronDist);
    writeFileSync(fpm, STAND_IN_FPM, { mode: 0o755 });
  });

  /** Packs; resolves with fpm's command line (when a .deb was made) and the packed package.json. */
  function pack(at: Checkout, targets: string[]) {
    const output = join(at.dir, 'release');
    const argvFile = join(at.dir, 'fpm-argv.json');
    const args = [
      join(at.dir, 'scripts', 'dist.mjs'),
      '--skip-build',
      '--linux',
      ...targets,
      '--publish',
      'never',
      `-c.electronDist=${electronDist}`,
      `-c.electronVersion=${ELECTRON_VERSION}`,
      '-c.npmRebuild=false',
      `-c.directories.output=${output}`,
    ];
    const env = { ...isolatedGit(at.home), CUSTOM_FPM_PATH: fpm, FPM_ARGV_FILE: argvFile };
    return new Promise<{ fpm: string[] | null; packaged: Record<string, unknown> }>((done, fail) => {
      const child = spawn(process.execPath, args, { cwd: at.dir, env });
      let log = '';
      const keep = (d: Buffer) => {
        log += d.toString();
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        try {
          if (code !== 0) throw new Error(`dist --linux ${targets.join(' ')} failed (exit ${code}):\n${log}`);
          const asar = join(output, 'linux-unpacked', 'resources', 'app.asar');
          done({
            fpm: existsSync(argvFile) ? (JSON.parse(readFileSync(argvFile, 'utf8')) as string[]) : null,
            packaged: JSON.parse(extractFile(asar, 'package.json').toString()) as Record<string, unknown>,
          });
        } catch (e) {
          fail(e);
        }
      });
    });
  }

  /** The value fpm is given for a flag (`--maintainer X`). */
  const flag = (argv: string[], name: string) => argv[argv.indexOf(name) + 1];

  it("the .deb names the builder's git identity and https origin; the packed app carries the homepage only", async () => {
    const at = checkout({
      name: 'Grace Builder',
      email: 'grace@example.org',
      origin: 'https://github.com/grace/tray.git',
    });
    const { fpm: argv, packaged } = await pack(at, ['deb']);
    expect(argv).not.toBeNull();
    expect(flag(argv ?? [], '-t')).toBe('deb');
    expect(flag(argv ?? [], '--maintainer')).toBe('Grace Builder <grace@example.org>');
    expect(flag(argv ?? [], '--vendor')).toBe('Grace Builder <grace@example.org>');
    expect(flag(argv ?? [], '--url')).toBe('https://github.com/grace/tray');
    expect(packaged.homepage).toBe('https://github.com/grace/tray');
    expect(packaged).not.toHaveProperty('author');
    expect(JSON.stringify(packaged)).not.toContain('grace@example.org');
  }, 90_000);

  it('with no identity the app still packs, and nothing in it names a maintainer or homepage', async () => {
    const at = checkout({});
    const { fpm: argv, packaged } = await pack(at, ['dir']);
    expect(argv).toBeNull();
    expect(packaged).not.toHaveProperty('homepage');
    expect(packaged).not.toHaveProperty('author');
  }, 90_000);
});
