import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src-main/cli/exit-codes';

/**
 * `homeserver-tray`, the command the hints name outside `npm run cli`: package.json's bin, which `npm link`
 * (or `npm install -g .`) links onto the PATH. Run here the way npm links it, through a symlink elsewhere.
 */

const run = promisify(execFile);
let dir: string;
let command: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'installed-cli-'));
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { bin?: Record<string, string> };
  const target = pkg.bin?.['homeserver-tray'];
  expect(target, 'package.json names a homeserver-tray bin').toBeTypeOf('string');
  command = join(dir, 'homeserver-tray');
  await symlink(resolve(target as string), command);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  const { npm_lifecycle_event: _script, INIT_CWD: _cwd, ...rest } = process.env;
  return { ...rest, HOMESERVER_TRAY_DATA_DIR: join(dir, 'data') };
}

describe('the installed command', () => {
  it('runs from anywhere through the link npm makes, and names itself homeserver-tray in its hints', async () => {
    const help = await run(command, ['--help'], { cwd: dir, env: env() });
    expect(help.stdout).toMatch(/^homeserver-tray — /);
    const listed = await run(command, ['profile', 'list'], { cwd: dir, env: env() });
    expect(listed.stdout).toBe(
      `No profiles in ${join(dir, 'data', 'profiles')} yet. Add one with: homeserver-tray profile add FILE\n`,
    );
  });

  it('returns the command line’s exit codes', async () => {
    const failed = await run(command, ['frob'], { cwd: dir, env: env() }).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
    expect(failed).toBe(EXIT.usage);
  });
});
