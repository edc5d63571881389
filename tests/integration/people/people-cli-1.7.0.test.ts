import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, useClearDelay } from '../token/cli-process';
import { startTokenLab, type TokenLab } from '../token/token-lab';
import { startXvfb, type Xvfb } from '../token/xvfb';

/**
 * The `users` and `notice` commands as a process against a 1.7.0 lab (no admin API: the admin room), with the
 * real keychain and xclip under Xvfb: the list from `users list-users` / `last-active`, a lost device signed out
 * with `users delete-device`, and what would leave a password in the room, or cannot be done, refused with the
 * reason — the clipboard untouched, nothing sent to the room.
 */
const execFileAsync = promisify(execFile);
const PASSWORD = 'family-password-1';

describe('the CLI users and notice commands against Tuwunel 1.7.0', () => {
  let t: TokenLab;
  let xvfb: Xvfb;
  let env: NodeJS.ProcessEnv;
  let dataDir: string;

  beforeAll(async () => {
    [t, xvfb] = await Promise.all([startTokenLab({ tuwunelVersion: '1.7.0' }), startXvfb()]);
    const { WAYLAND_DISPLAY: _wayland, ...inherited } = process.env;
    dataDir = join(t.dataDir, '..', 'cli-data');
    await useClearDelay(dataDir, null);
    env = { ...inherited, DISPLAY: xvfb.display, HOMESERVER_TRAY_DATA_DIR: dataDir };
    await t.lab.client.register({
      username: 'mum',
      password: PASSWORD,
      token: t.lab.secrets.registrationToken,
      deviceName: 'Element X (iPhone)',
    });
  });
  afterAll(async () => {
    await xvfb?.stop();
    await t?.stop();
  });

  const cli = (args: string[], input?: string) =>
    runCli(['--profile', t.profilePath, ...args], { env, ...(input ? { input } : {}) });
  const clipboard = async () =>
    (await execFileAsync('xclip', ['-selection', 'clipboard', '-out'], { env }).catch(() => ({ stdout: '' })))
      .stdout;

  it('lists users through the admin room, saying what that route cannot show', async () => {
    const table = await cli(['users', 'list']);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^@mum:lab\.test +.*\d{4}-\d\d-\d\d \d\d:\d\d UTC/m);
    expect(table.stdout).toMatch(/need the admin API \(Tuwunel 1\.8\.1 on\)/);
    const json = JSON.parse((await cli(['users', 'list', '--json', '--search', 'mum'])).stdout);
    expect(json.users).toEqual([
      expect.objectContaining({ userId: '@mum:lab.test', admin: null, deviceCount: null }),
    ]);
    const commands = JSON.stringify(t.lab.adminRoomLog());
    expect(commands).toContain('!admin users list-users');
    expect(commands).toContain('!admin users last-active');
  });

  it('signs out a lost device by its ID with `users delete-device`', async () => {
    const phone = await t.lab.client.login('mum', PASSWORD, 'Lost phone');
    const out = await cli(['users', 'sign-out', 'mum', phone.deviceId, '--yes']);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(`Signed @mum:lab.test out of 1 device (${phone.deviceId}).\n`);
    const who = await t.lab.client.request('GET', '/_matrix/client/v3/account/whoami', {
      token: phone.accessToken,
    });
    expect(who.json).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
  });

  it('refuses a password reset through the room, and a notice, with the reason: nothing copied, nothing sent', async () => {
    const before = t.lab.adminRoomLog().length;
    const clip = await clipboard();
    const reset = await cli(['users', 'reset-password', 'mum', '--yes']);
    expect(reset.code).not.toBe(0);
    expect(reset.stdout).toBe('');
    expect(reset.stderr).toMatch(/with the new password in its reply/);
    expect(reset.stderr).toMatch(/Upgrade Tuwunel to 1\.8\.1 or later/);
    expect(await clipboard()).toBe(clip);
    const notice = await cli(
      ['notice', 'send', '--yes'],
      'The server restarts at 21:00 for about five minutes.\n',
    );
    expect(notice.code).not.toBe(0);
    expect(notice.stderr).toMatch(/Server notices are not available: Tuwunel 1\.7\.0/);
    expect(t.lab.adminRoomLog().length).toBe(before);
    // The old password still works: nothing changed.
    expect((await t.lab.client.login('mum', PASSWORD)).userId).toBe('@mum:lab.test');
    const audit = await readFile(join(dataDir, 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(/"action":"users\.reset-password".*"outcome":"refused"/);
  });

  it('issues an invite that brings whoever joins into #family; invite list says who joined and where they went', async () => {
    const bad = await cli(['invite', '--invite-to', '#family room:lab.test']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^room: is not a room alias \(#family:example.org\) or room ID/);
    const issued = await cli(['invite', '--expires', '1d', '--invite-to', '#family:lab.test']);
    expect(issued.stderr).toBe('');
    expect(issued.code).toBe(0);
    const token = (await clipboard()).trim();
    expect(token).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(issued.stdout).not.toContain(token);
    await t.lab.client.register({ username: 'nana', password: PASSWORD, token, deviceName: 'iPad' });
    const listed = await cli(['invite', 'list']);
    expect(listed.stderr).toBe('');
    expect(listed.stdout).toMatch(
      new RegExp(
        `^${token.slice(0, 4)}… +used by @nana:lab\\.test \\(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\); invited to #family:lab\\.test$`,
        'm',
      ),
    );
    expect(listed.stdout).not.toContain(token);
    expect(t.lab.roomInvites().map((i) => [i.sender, i.user_id])).toEqual([
      ['@admin:lab.test', '@nana:lab.test'],
    ]);
  });

  it('deactivates through the room: they cannot log in any more', async () => {
    const gone = await cli(['users', 'deactivate', 'mum', '--yes']);
    expect(gone.stderr).toBe('');
    expect(gone.stdout).toBe('Deactivated @mum:lab.test.\n');
    await expect(t.lab.client.login('mum', PASSWORD)).rejects.toThrow(/M_USER_DEACTIVATED|M_FORBIDDEN/);
    expect(JSON.stringify(t.lab.adminRoomLog())).toContain('!admin users deactivate @mum:lab.test');
  });
});
