// `npm run dist -- [electron-builder options]`: the release packages (AppImage and .deb on Linux, dmg on
// macOS, nsis on Windows), made from electron-builder.yml. The project publishes no homepage or e-mail of its
// own, so the person who builds a .deb is its maintainer and names where it comes from:
//   maintainer: HOMESERVER_TRAY_MAINTAINER="Name <email>", else `git config user.name` and `user.email`;
//   homepage:   HOMESERVER_TRAY_HOMEPAGE=https://…, else this checkout's `origin` remote when it is https.
// Without them the .deb is left out with one line saying which variable to set; the other targets build.
// Nothing is written to package.json: the values reach electron-builder in a configuration of this run.
//   --dry-run     print the effective electron-builder configuration and the targets; build nothing
//   --skip-build  package out/ as it is (it was built just before, e.g. by CI)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

const MAINTAINER_FORMAT = /^[^<>@\s][^<>@]*\s<[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>$/;

/** A package's command, as npm would link it: its package.json "bin". */
function bin(pkg, name) {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin: bins } = JSON.parse(readFileSync(manifest, 'utf8'));
  return join(dirname(manifest), typeof bins === 'string' ? bins : bins[name]);
}

/** Refuses the whole run: bad input changes nothing. */
function fail(line) {
  console.error(`dist: ${line}`);
  process.exit(1);
}

/** A value from the builder's git configuration or repository, or null when git has none. */
function git(...args) {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const value = r.status === 0 ? r.stdout.trim() : '';
  return value === '' ? null : value;
}

function maintainer(env) {
  const given = env.HOMESERVER_TRAY_MAINTAINER;
  if (given !== undefined && given !== '') {
    if (!MAINTAINER_FORMAT.test(given.trim()))
      fail(`HOMESERVER_TRAY_MAINTAINER must read "Name <email>", not ${JSON.stringify(given)}.`);
    return given.trim();
  }
  const name = git('config', '--get', 'user.name');
  const email = git('config', '--get', 'user.email');
  return name && email ? `${name} <${email}>` : null;
}

/** An https URL as a package may show it: no credentials, no `.git`, no trailing slash. */
function publicUrl(raw) {
  const url = new URL(raw);
  url.username = '';
  url.password = '';
  url.search = '';
  url.hash = '';
  return url.href.replace(/\.git\/?$/, '').replace(/\/$/, '');
}

function homepage(env) {
  const given = env.HOMESERVER_TRAY_HOMEPAGE;
  if (given !== undefined && given !== '') {
    if (!URL.canParse(given) || !['https:', 'http:'].includes(new URL(given).protocol))
      fail(`HOMESERVER_TRAY_HOMEPAGE must be an http(s) URL, not ${JSON.stringify(given)}.`);
    if (new URL(given).username || new URL(given).password)
      fail('HOMESERVER_TRAY_HOMEPAGE must not carry a user name or password.');
    return publicUrl(given);
  }
  const origin = git('remote', 'get-url', 'origin');
  return origin && URL.canParse(origin) && new URL(origin).protocol === 'https:' ? publicUrl(origin) : null;
}

const PLATFORM_FLAGS = {
  linux: ['--linux', '-l'],
  mac: ['--mac', '-m', '-o', '--macos'],
  win: ['--win', '-w', '--windows'],
};
const CURRENT = { linux: 'linux', darwin: 'mac', win32: 'win' }[process.platform];

/**
 * electron-builder's command line, each word tagged with what decides the .deb: the platform flags, and the
 * targets named after one (`--linux deb AppImage`, `--linux=deb,AppImage`, `deb:arm64`).
 */
function parseArgs(argv) {
  const own = { dryRun: false, skipBuild: false };
  const words = [];
  let after = null;
  for (const arg of argv) {
    if (arg === '--dry-run') own.dryRun = true;
    else if (arg === '--skip-build') own.skipBuild = true;
    else if (/^(--config|-c)(=|$)/.test(arg))
      fail(
        '--config is not taken: dist packs with electron-builder.yml (for the e2e build run electron-builder).',
      );
    else {
      const [flag, inline] = arg.split(/=(.*)/s);
      const platform = Object.keys(PLATFORM_FLAGS).find((p) => PLATFORM_FLAGS[p].includes(flag));
      if (platform) {
        words.push({ arg: flag, platform, target: false });
        for (const t of inline?.split(',') ?? []) words.push({ arg: t, platform, target: true });
        after = platform;
      } else if (after && !arg.startsWith('-')) {
        for (const t of arg.split(',')) words.push({ arg: t, platform: after, target: true });
      } else {
        after = null;
        words.push({ arg, platform: null, target: false });
      }
    }
  }
  return { own, words };
}

const isDeb = (target) => (typeof target === 'string' ? target : target.target).split(':')[0] === 'deb';

const { own, words } = parseArgs(process.argv.slice(2));
const platforms = new Set(words.filter((w) => w.platform).map((w) => w.platform));
if (platforms.size === 0 && CURRENT) platforms.add(CURRENT);
const named = words.filter((w) => w.platform === 'linux' && w.target).map((w) => w.arg);
const base = parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8'));
const linuxTargets = named.length > 0 ? named : [base.linux?.target ?? []].flat();
const debWanted = platforms.has('linux') && !words.some((w) => w.arg === '--dir') && linuxTargets.some(isDeb);

const who = maintainer(process.env);
const where = homepage(process.env);

const config = structuredClone(base);
if (where) config.extraMetadata = { ...config.extraMetadata, homepage: where };
if (who) config.linux = { ...config.linux, maintainer: who, vendor: who };

let kept = words;
if (debWanted && (!who || !where)) {
  const lacks = [!who && 'maintainer', !where && 'homepage'].filter(Boolean);
  const set = [
    !who && 'HOMESERVER_TRAY_MAINTAINER="Name <email>" (or git config user.name and user.email)',
    !where && 'HOMESERVER_TRAY_HOMEPAGE=https://… (or an https origin remote)',
  ].filter(Boolean);
  console.error(
    `dist: no .deb: it must name its ${lacks.join(' and ')}, and none is made up; set ${set.join(' and ')}.`,
  );
  const others = linuxTargets.filter((t) => !isDeb(t));
  if (named.length > 0) {
    kept = words.filter((w) => !(w.platform === 'linux' && w.target && isDeb(w.arg)));
    if (others.length === 0) kept = kept.filter((w) => w.platform !== 'linux');
  } else config.linux = { ...config.linux, target: others };
  if (others.length === 0) platforms.delete('linux');
  if (platforms.size === 0) process.exit(1);
}

const builderArgs = kept.map((w) => w.arg);
if (own.dryRun) {
  console.log(`# electron-builder ${[...builderArgs, '--config', '<the configuration below>'].join(' ')}`);
  console.log(stringify(config).trimEnd());
  process.exit(0);
}

if (!own.skipBuild) {
  const build = spawnSync(process.execPath, [bin('electron-vite', 'electron-vite'), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const scratch = mkdtempSync(join(tmpdir(), 'homeserver-tray-dist-'));
try {
  const file = join(scratch, 'electron-builder.yml');
  writeFileSync(file, stringify(config));
  const cli = bin('electron-builder', 'electron-builder');
  const run = spawnSync(process.execPath, [cli, ...builderArgs, '--config', file], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
