// `npm start`: Electron's binary (fetched on first use), then the build, then the app.
//
// Electron 45's npm package has no install script: `npm install` brings only the package, and the binary is
// downloaded the first time it is asked for (node_modules/electron/index.js runs its install.js when dist/ is
// missing). This script lets that happen, saying so in one line, but runs install.js itself so that a failure
// is one sentence about what is missing and how to get it, not Electron's stack trace. Nothing is downloaded
// when the binary is there, when ELECTRON_OVERRIDE_DIST_PATH points at one, or when the user set
// ELECTRON_SKIP_BINARY_DOWNLOAD.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function fail(line) {
  console.error(line);
  process.exit(1);
}

/** A package's command, as npm would link it: its package.json "bin". */
function bin(pkg, name) {
  const manifest = require.resolve(`${pkg}/package.json`);
  const { bin: bins } = JSON.parse(readFileSync(manifest, 'utf8'));
  return join(dirname(manifest), typeof bins === 'string' ? bins : bins[name]);
}

let electronDir;
try {
  electronDir = dirname(require.resolve('electron/package.json'));
} catch {
  fail('The electron package is not installed: run `npm install`, then `npm start` again.');
}
const { version } = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8'));
// As the user sees it from the checkout (require.resolve gives the real path behind a symlinked node_modules).
const shown = existsSync(join(root, 'node_modules', 'electron', 'package.json'))
  ? join('node_modules', 'electron')
  : relative(root, electronDir);

/** Where node_modules/electron/index.js finds the executable, without its download-on-miss. */
function executable() {
  const pathFile = join(electronDir, 'path.txt');
  const inDist = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) return join(override, inDist || 'electron');
  return inDist ? join(electronDir, 'dist', inDist) : null;
}

/** The server @electron/get downloads from: Electron's GitHub releases unless a mirror is configured. */
function downloadHost() {
  const mirror = process.env.ELECTRON_MIRROR || process.env.npm_config_electron_mirror;
  try {
    return new URL(mirror || 'https://github.com/electron/electron/releases/download/').host;
  } catch {
    return mirror;
  }
}

/** The one sentence for a failed download, from what Electron's installer printed. */
function downloadFailure(stderr, host) {
  const what = `Electron ${version}'s binary (${process.platform}-${process.arch}) is not in ${shown}/dist`;
  const status = /HTTPError: Response code (\d+)/.exec(stderr);
  if (status)
    return `${what}: ${host} answered ${status[1]} to its download; check ELECTRON_MIRROR if you set one, then run \`npm start\` again.`;
  if (
    /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|getaddrinfo/.test(stderr)
  )
    return `${what} and this machine cannot reach ${host} to download it: connect to the network (or set ELECTRON_MIRROR to a mirror you can reach) and run \`npm start\` again.`;
  const reason =
    stderr
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '' && !l.startsWith('at ')) ?? 'no reason given';
  return `${what}: Electron's installer failed (${reason}); \`npx install-electron\` shows the whole error.`;
}

let electron = executable();
if (process.env.ELECTRON_OVERRIDE_DIST_PATH && !existsSync(electron))
  fail(
    `ELECTRON_OVERRIDE_DIST_PATH is set, but ${electron} does not exist: point it at an unpacked Electron ${version}, or unset it.`,
  );
if (!electron || !existsSync(electron)) {
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD)
    fail(
      `Electron ${version}'s binary is not in ${shown}/dist, and ELECTRON_SKIP_BINARY_DOWNLOAD is set, so it is not downloaded: unset it and run \`npm start\` again (or run \`npx install-electron\`).`,
    );
  const host = downloadHost();
  console.log(
    `Electron ${version}'s binary is not downloaded yet: fetching it once from ${host} into ${shown}/dist …`,
  );
  const install = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    cwd: electronDir,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  electron = executable();
  if (install.status !== 0 || !electron || !existsSync(electron))
    fail(downloadFailure(install.stderr ?? '', host));
}

const build = spawnSync(process.execPath, [bin('electron-vite', 'electron-vite'), 'build'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync(electron, ['.'], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
