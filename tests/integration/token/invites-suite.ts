import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InviteClient,
  InviteNotFound,
  InviteNotIssuedHere,
  InviteNotRevocable,
  InviteService,
} from '../../../src-main/core/matrix/invites';
import { AuditLog } from '../../../src-main/core/runbook/audit';
import { ClipboardGuard } from '../../../src-main/core/token/clipboard';
import { readTokens } from '../../lab/https/homeserver-state';
import { RecordingClipboard } from '../../unit/core/token/recording-clipboard';
import { runCli, useClearDelay } from './cli-process';
import { startTokenLab, type TokenLab } from './token-lab';
import { readSettled, startXvfb, type Xvfb } from './xvfb';

/**
 * One-shot invites against the lab's Tuwunel: at 1.7.0 through the admin room's `token issue|revoke` (listed
 * from the app's own record in the keychain, never with `token list`), at 1.9.0 through the Synapse admin API;
 * and the CLI's `invite` commands as a process, with xclip under Xvfb as its clipboard.
 */
const execFileAsync = promisify(execFile);

/** Every test below, against a lab playing `version` (one lab per test file: keytar keeps the first D-Bus it meets). */
export function invitesSuite(version: '1.7.0' | '1.9.0'): void {
  const viaApi = version === '1.9.0';
  describe(`invites on the lab, Tuwunel ${version}: ${viaApi ? 'the admin API' : 'the admin room'}`, () => {
    let t: TokenLab;
    let xvfb: Xvfb;
    let client: InviteClient;
    let audit: AuditLog;

    beforeAll(async () => {
      [t, xvfb] = await Promise.all([startTokenLab({ tuwunelVersion: version }), startXvfb()]);
      audit = new AuditLog(t.dataDir);
      client = new InviteClient({ profile: t.profile, secrets: t.secrets, acts: audit.acts(t.profile.name) });
    });

    afterAll(async () => {
      await xvfb?.stop();
      await t?.stop();
    });

    const stored = async () => readTokens(t.lab.hosts.homeserver.dir);
    /** What the admin user said in the admin room. */
    const said = () =>
      t.lab
        .adminRoomLog()
        .filter((e) => e.type === 'm.room.message' && e.sender === t.lab.secrets.adminUserId)
        .map((e) => String(e.content.body));

    it('issues, lists and revokes, on the route the release allows', async () => {
      expect(await client.route()).toEqual({
        route: viaApi ? 'admin-api' : 'admin-room',
        version,
        why: viaApi
          ? null
          : 'Tuwunel 1.7.0 (as the server says) has no admin API (it came with Tuwunel 1.8.1)',
      });
      const before = Date.now();
      const created = await client.create({ uses: 2, expires: '7d' });
      expect(created.token).toMatch(/^[A-Za-z0-9]{16}$/);
      expect(created).toMatchObject({ usesAllowed: 2, completed: 0, source: 'database' });
      // Tuwunel prints the expiry to the second; the API keeps milliseconds.
      expect(Math.abs((created.expiresAt ?? 0) - (before + 7 * 86_400_000))).toBeLessThan(5_000);
      expect((await stored()).find((s) => s.token === created.token)).toMatchObject({ usesAllowed: 2 });

      const listed = await client.list();
      if (viaApi) {
        expect(listed.find((i) => i.token === created.token)).toMatchObject({ usesAllowed: 2, completed: 0 });
        // The API lists the configuration's token too (the vault's); it never went through a room.
        expect(listed.some((i) => i.token === t.lab.secrets.registrationToken)).toBe(true);
      } else {
        // From the app's record: what it asked for, not how often it was used, and nothing else.
        expect(listed).toEqual([
          {
            token: created.token,
            usesAllowed: 2,
            pending: null,
            completed: null,
            expiresAt: created.expiresAt,
            source: 'app-record',
          },
        ]);
      }

      await client.revoke(created.token);
      expect((await stored()).some((s) => s.token === created.token)).toBe(false);
      expect((await client.list()).some((i) => i.token === created.token)).toBe(false);
      if (viaApi) {
        await expect(client.revoke(created.token)).rejects.toBeInstanceOf(InviteNotFound);
        await expect(client.revoke(t.lab.secrets.registrationToken)).rejects.toBeInstanceOf(
          InviteNotRevocable,
        );
      } else {
        // Not the app's (any more): naming it in the room would put it into the room's history.
        await expect(client.revoke(created.token)).rejects.toBeInstanceOf(InviteNotIssuedHere);
        await expect(client.revoke(t.lab.secrets.registrationToken)).rejects.toBeInstanceOf(
          InviteNotIssuedHere,
        );
      }
      // Whatever the route, nothing the app said in the room lists tokens, or names the vault's.
      expect(said().filter((b) => /token\s+list/.test(b))).toEqual([]);
      expect(JSON.stringify(t.lab.adminRoomLog())).not.toContain(t.lab.secrets.registrationToken);
      if (viaApi) expect(said().filter((b) => /token/.test(b))).toEqual([]);

      // Each issue and revoke is in the audit trail, by hint.
      const acts = (await audit.read()).filter((r) => r.action.startsWith('invite.'));
      expect(acts.map((r) => [r.action, r.outcome])).toEqual([
        ['invite.issue', 'ok'],
        ['invite.revoke', 'ok'],
        ['invite.revoke', 'failed'],
        ['invite.revoke', 'failed'],
      ]);
      expect(acts[0]?.params).toMatchObject({
        uses: 2,
        expires: '7d',
        invite: `${created.token.slice(0, 4)}…`,
      });
      expect(JSON.stringify(acts)).not.toContain(created.token);
      expect(JSON.stringify(acts)).not.toContain(t.lab.secrets.registrationToken);
    });

    it('the service copies a new invite, lists it by hint, and revokes it by handle', async () => {
      const clipboard = new RecordingClipboard();
      const service = new InviteService({
        client,
        guard: new ClipboardGuard(clipboard),
        profile: () => t.profile,
        clearDelaySeconds: () => 30,
      });
      const { invite, clearsAt, concealed } = await service.create({ uses: 1 });
      expect(concealed).toBe(true);
      expect(clearsAt).toBeGreaterThan(Date.now());
      expect(clipboard.content).toMatch(/^[A-Za-z0-9]{16}$/);
      expect(invite.hint).toBe(`${clipboard.content.slice(0, 4)}…`);
      expect(JSON.stringify(invite)).not.toContain(clipboard.content);
      const listed = await service.list();
      expect(listed.find((i) => i.id === invite.id)?.usesAllowed).toBe(1);
      await service.revoke(invite.id);
      expect((await stored()).some((s) => s.token === clipboard.content)).toBe(false);
    });

    it('the CLI issues, lists and revokes invites, printing hints but never a token', async () => {
      const { WAYLAND_DISPLAY: _wayland, ...inherited } = process.env;
      const dataDir = join(t.dataDir, '..', 'cli-data');
      await useClearDelay(dataDir, null);
      const env = { ...inherited, DISPLAY: xvfb.display, HOMESERVER_TRAY_DATA_DIR: dataDir };
      const issued = await runCli(['--profile', t.profilePath, 'invite', '--uses', '3', '--expires', '1d'], {
        env,
      });
      expect(issued.stderr).toBe('');
      expect(issued.code).toBe(0);
      const xclipOut = async () =>
        (
          await execFileAsync('xclip', ['-selection', 'clipboard', '-out'], { env }).catch(() => ({
            stdout: '',
          }))
        ).stdout;
      const token = await readSettled(xclipOut, (s) => s !== '');
      expect(token).toMatch(/^[A-Za-z0-9]{16}$/);
      expect(issued.stdout).toMatch(
        new RegExp(
          `^Issued the invite [0-9a-f]{8} \\(${token.slice(0, 4)}…\\) for 3 registrations, valid until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\. It is on the clipboard \\(xclip\\) and stays there: clearing is set to never\\.\\n`,
        ),
      );
      expect(issued.stdout).not.toContain(token);
      expect((await stored()).find((s) => s.token === token)?.usesAllowed).toBe(3);

      const list = await runCli(['--profile', t.profilePath, 'invite', 'list'], { env });
      expect(list.code).toBe(0);
      const row = new RegExp(
        `^([0-9a-f]{8}) +${token.slice(0, 4)}… +${viaApi ? '0 of 3 used' : 'up to 3 uses'} +expires \\d{4}-`,
        'm',
      ).exec(list.stdout);
      expect(row, list.stdout).not.toBeNull();
      const id = row?.[1] ?? '';
      expect(issued.stdout).toContain(`Issued the invite ${id} (`);
      expect(list.stdout).not.toContain(token);
      expect(list.stdout).not.toContain(t.lab.secrets.registrationToken);

      // Never by the token: a command line stays in `ps` and the shell history.
      const refused = await runCli(['--profile', t.profilePath, 'invite', 'revoke', token], { env });
      expect(refused.code).toBe(64);
      expect(refused.stderr).not.toContain(token);
      expect((await stored()).some((s) => s.token === token)).toBe(true);
      const revoked = await runCli(['--profile', t.profilePath, 'invite', 'revoke', id], { env });
      expect(revoked.stderr).toBe('');
      expect(revoked.stdout).toBe(
        `Revoked the invite ${id} (${token.slice(0, 4)}…); it can no longer be used to register.\n`,
      );
      expect((await stored()).some((s) => s.token === token)).toBe(false);
      // The CLI's acts are in its own data folder's audit trail.
      const cliActs = (await new AuditLog(dataDir).read()).map((r) => r.action);
      expect(cliActs).toEqual(expect.arrayContaining(['invite.issue', 'invite.revoke']));
    });
  });
}
