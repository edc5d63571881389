import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { clearJob } from '../../../src-main/cli/clear-later';
import {
  CliClipboard,
  createCliClipboard,
  detectCliClipboardTool,
} from '../../../src-main/cli/cli-clipboard';
import { fingerprint } from '../../../src-main/core/token/clipboard';
import { type Keyring, startKeyring } from '../../lab/keyring';
import {
  gitEnv,
  makeVaultRepo,
  OLD_TOKEN,
  PASSWORD,
  type VaultRepo,
} from '../../unit/core/vault/rotation-fixture';
import { liveProcessesWithEnv } from '../ssh/lab-processes';
import { runCli, useClearDelay } from './cli-process';
import { readSettled, startXvfb, type Xvfb } from './xvfb';

/**
 * The command line's clipboard for real: Debian's xclip against a private Xvfb, the CLI as its own
 * process with the keychain on gnome-keyring, and the detached clear-if-unchanged process.
 */
const execFileAsync = promisify(execFile);

let xvfb: Xvfb;
let keyring: Keyring;
let repo: VaultRepo;
let dir: string;
let profilePath: string;
let env: NodeJS.ProcessEnv;

const xclipOut = async () =>
  (
    await execFileAsync('xclip', ['-selection', 'clipboard', '-out'], { env }).catch((e) => ({
      stdout: '',
      e,
    }))
  ).stdout;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'token-xclip-'));
  [xvfb, keyring, repo] = await Promise.all([
    startXvfb(),
    startKeyring(join(dir, 'keyring')),
    makeVaultRepo(),
  ]);
  profilePath = join(dir, 'profile.yaml');
  await writeFile(profilePath, stringify(repo.profile));
  const { WAYLAND_DISPLAY: _w, ...rest } = process.env;
  env = {
    ...rest,
    ...gitEnv,
    DISPLAY: xvfb.display,
    DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
    HOMESERVER_TRAY_DATA_DIR: join(dir, 'data'),
  };
  await useClearDelay(env.HOMESERVER_TRAY_DATA_DIR as string, 10);
  const stored = await runCli(['--profile', profilePath, 'secret', 'set', 'vault-password'], {
    env,
    input: `${PASSWORD}\n`,
  });
  expect(stored.stderr).toBe('');
  expect(stored.code).toBe(0);
});

afterAll(async () => {
  await xvfb?.stop();
  await keyring?.stop();
  await repo?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('xclip under Xvfb', () => {
  it('is what the CLI finds with DISPLAY set, and it writes, reads and clears', async () => {
    expect(detectCliClipboardTool({ env })).toBe('xclip');
    const clipboard = await createCliClipboard({ env });
    expect(clipboard).toBeInstanceOf(CliClipboard);
    expect(clipboard.concealable).toBe(false);
    const read = () => clipboard.readText();
    expect(await read()).toBe('');
    await clipboard.writeText('Grüße 🔑 token', { concealed: true });
    expect(await readSettled(read, (s) => s === 'Grüße 🔑 token')).toBe('Grüße 🔑 token');
    expect(await xclipOut()).toBe('Grüße 🔑 token');
    await clipboard.clear();
    expect(await readSettled(read, (s) => s === '')).toBe('');
  });

  it('the detached clearer clears an unchanged clipboard and leaves a changed one alone', async () => {
    const clipboard = await createCliClipboard({ env });
    const job = (secret: string) =>
      JSON.stringify(clearJob('xclip', 'invite-token', fingerprint(secret), Date.now() + 300));

    await clipboard.writeText('invite-AAAA', { concealed: true });
    expect(await readSettled(xclipOut, (s) => s === 'invite-AAAA')).toBe('invite-AAAA');
    const cleared = await runCli(['__clipboard-clear'], { env, input: job('invite-AAAA') });
    expect(cleared.code).toBe(0);
    expect(await readSettled(xclipOut, (s) => s === '')).toBe('');

    await clipboard.writeText('invite-BBBB', { concealed: true });
    expect(await readSettled(xclipOut, (s) => s === 'invite-BBBB')).toBe('invite-BBBB');
    const pending = runCli(['__clipboard-clear'], { env, input: job('invite-BBBB') });
    // Another program copies meanwhile (xclip's background server must not hold our pipes).
    await execFileAsync(
      'sh',
      ['-c', 'printf "a shopping list" | xclip -selection clipboard -in >/dev/null 2>&1'],
      {
        env,
      },
    );
    expect((await pending).code).toBe(1);
    expect(await readSettled(xclipOut, (s) => s === 'a shopping list')).toBe('a shopping list');
  });

  it('token copy puts the token on the clipboard, prints none of it, and clears it after the delay', async () => {
    // The clearer clears at the time the copy named: 10 s after it, which came between these two.
    const before = Date.now();
    const run = await runCli(['--profile', profilePath, 'token', 'copy'], { env });
    const after = Date.now();
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Copied the registration token of lab\.test\. It is on the clipboard \(xclip\); it will be cleared at \d\d?:\d\d:\d\d( [AP]M)? if the clipboard still holds it\.\n$/,
    );
    expect(run.stdout).not.toContain(OLD_TOKEN);
    expect(await readSettled(xclipOut, (s) => s === OLD_TOKEN)).toBe(OLD_TOKEN);
    // However slow the machine (the CLI's exit, the clearer's start), the token stays until its time…
    await sleep(Math.max(0, before + 8_000 - Date.now()));
    expect(await xclipOut()).toBe(OLD_TOKEN);
    // …and goes soon after it: the clearer waits for the time, not for a delay from its own start.
    const deadline = after + 10_000 + 8_000;
    while ((await xclipOut()) !== '' && Date.now() < deadline) await sleep(200);
    expect(await xclipOut()).toBe('');
    // The clearer exits once it has cleared (a moment after the clipboard reads empty). This test's clearer
    // only: other runs on the machine may have theirs running.
    const clearers = () =>
      liveProcessesWithEnv(`HOMESERVER_TRAY_DATA_DIR=${env.HOMESERVER_TRAY_DATA_DIR}`).filter((p) =>
        p.command.includes('__clipboard-clear'),
      );
    const gone = Date.now() + 3_000;
    while (clearers().length > 0 && Date.now() < gone) await sleep(50);
    expect(clearers()).toEqual([]);
  }, 60_000);

  it('refuses with exit 69 when no clipboard tool is reachable, printing nothing secret', async () => {
    const { DISPLAY: _d, ...noDisplay } = env;
    const run = await runCli(['--profile', profilePath, 'token', 'copy'], { env: noDisplay });
    expect(run.code).toBe(69);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'No clipboard is reachable from this terminal (looked for wl-copy, xclip, pbcopy, clip.exe), and the token is never printed.\nInstall wl-clipboard (Wayland) or xclip (X11) and run it inside the desktop session (WAYLAND_DISPLAY or DISPLAY set), or use the app.\n',
    );
  });
});
