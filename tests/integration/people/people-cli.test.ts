import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, useClearDelay } from '../token/cli-process';
import { startTokenLab, type TokenLab } from '../token/token-lab';
import { startXvfb, type Xvfb } from '../token/xvfb';

/**
 * The `users` and `notice` commands as a process (`npm run cli`), against a 1.9.0 lab (the admin API), with the
 * real keychain and xclip under Xvfb: tables and JSON on stdout, the new password on the clipboard only.
 */
const execFileAsync = promisify(execFile);
const PASSWORD = 'family-password-1';

describe('the CLI users and notice commands against Tuwunel 1.9.0', () => {
  let t: TokenLab;
  let xvfb: Xvfb;
  let env: NodeJS.ProcessEnv;
  let dataDir: string;
  const printed: string[] = [];

  beforeAll(async () => {
    [t, xvfb] = await Promise.all([startTokenLab({ tuwunelVersion: '1.9.0' }), startXvfb()]);
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

  const cli = async (args: string[], input?: string) => {
    const r = await runCli(['--profile', t.profilePath, ...args], { env, ...(input ? { input } : {}) });
    printed.push(r.stdout, r.stderr);
    return r;
  };

  it('lists users as a table and as JSON, and a user’s devices', async () => {
    const table = await cli(['users', 'list']);
    expect(table.stderr).toBe('');
    expect(table.stdout).toMatch(/^USER +NAME +ADMIN +DEACTIVATED +LAST ACTIVE +DEVICES$/m);
    expect(table.stdout).toMatch(/^@mum:lab\.test +mum +no +no +\d{4}-\d\d-\d\d \d\d:\d\d UTC +1$/m);
    const json = JSON.parse((await cli(['users', 'list', '--json', '--search', 'mum'])).stdout);
    expect(json.users).toEqual([expect.objectContaining({ userId: '@mum:lab.test', deviceCount: 1 })]);
    const devices = await cli(['users', 'devices', 'mum']);
    expect(devices.stdout).toMatch(/^\S{10} +Element X \(iPhone\) +\d{4}-.* UTC +127\.0\.0\.1$/m);
    const bad = await cli(['users', 'show', '@mum:elsewhere.example']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(
      /^user: is on elsewhere\.example; only users of lab\.test can be managed here\n/,
    );
  });

  it('resets a password onto the clipboard: never printed, never audited, never in the room', async () => {
    const refused = await cli(['users', 'reset-password', 'mum', '--sign-out']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Not confirmed, nothing was changed: run it again with --yes/);
    await t.lab.client.login('mum', PASSWORD);

    const r = await cli(['users', 'reset-password', 'mum', '--sign-out', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { stdout: password } = await execFileAsync('xclip', ['-selection', 'clipboard', '-out'], { env });
    expect(password).toMatch(/^([a-zA-Z2-9]{5}-){3}[a-zA-Z2-9]{5}$/);
    expect(r.stdout).toBe(
      'Set a new password for @mum:lab.test and signed out their devices. It is on the clipboard (xclip) and stays there: clearing is set to never.\nGive it to them in person or by phone; they can change it in their client.\n',
    );
    expect((await t.lab.client.login('mum', password)).userId).toBe('@mum:lab.test');
    await expect(t.lab.client.login('mum', PASSWORD)).rejects.toThrow(/M_FORBIDDEN/);
    expect(printed.join('')).not.toContain(password);
    expect(JSON.stringify(t.lab.adminRoomLog())).not.toContain(password);
    const audit = await readFile(join(dataDir, 'audit.jsonl'), 'utf8');
    expect(audit).toContain('"action":"users.reset-password"');
    expect(audit).not.toContain(password);
  });

  it('signs out every device, sends a notice from stdin, deactivates', async () => {
    const phone = await t.lab.client.login('mum', (await clipboard()).trim(), 'Lost phone');
    const out = await cli(['users', 'sign-out', 'mum', '--all', '--yes']);
    expect(out.stdout).toMatch(/^Signed @mum:lab\.test out of \d+ devices? \(.*\)\.$/m);
    expect(out.stdout).toContain(phone.deviceId);
    const text = 'The server restarts at 21:00 for about five minutes.';
    const notice = await cli(['notice', 'send', '--yes'], `${text}\n`);
    expect(notice.stderr).toBe('');
    expect(notice.stdout).toMatch(/^Sent the notice to \d+ users\.\n$/);
    expect(t.lab.serverNotices().some((n) => n.user_id === '@mum:lab.test' && n.content.body === text)).toBe(
      true,
    );
    const gone = await cli(['users', 'deactivate', 'mum', '--yes']);
    expect(gone.stdout).toBe('Deactivated @mum:lab.test.\n');
    const shown = JSON.parse((await cli(['users', 'show', 'mum', '--json'])).stdout);
    expect(shown).toMatchObject({ deactivated: true, deviceCount: 0 });
  });

  async function clipboard(): Promise<string> {
    return (await execFileAsync('xclip', ['-selection', 'clipboard', '-out'], { env })).stdout;
  }
});
