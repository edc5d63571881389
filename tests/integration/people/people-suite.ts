import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminRoomClient, MatrixRequestFailed } from '../../../src-main/core/matrix/admin-room';
import { InviteHistory } from '../../../src-main/core/matrix/invite-history';
import { InviteClient, InviteService } from '../../../src-main/core/matrix/invites';
import { PeopleClient, PeopleRefused } from '../../../src-main/core/matrix/people';
import { type Profile, profileSchema } from '../../../src-main/core/profile/schema';
import { AuditLog } from '../../../src-main/core/runbook/audit';
import { ClipboardGuard } from '../../../src-main/core/token/clipboard';
import { startLab } from '../../lab/lab';
import { MatrixClientError } from '../../lab/matrix-client';
import type { Lab } from '../../lab/types';
import { MemorySecrets } from '../../unit/core/runbook/test-profile';
import { RecordingClipboard } from '../../unit/core/token/recording-clipboard';

/**
 * People against the lab's Tuwunel (issue 16): at 1.7.0 through the admin room (`users list-users`,
 * `last-active`, `delete-device`, `deactivate`; reset password refused because its reply holds the password), at
 * 1.9.0 through the Synapse admin API (users, devices, reset_password, deactivate, send_server_notice).
 */
export function peopleSuite(version: '1.7.0' | '1.9.0'): void {
  const viaApi = version === '1.9.0';
  describe(`people on the lab, Tuwunel ${version}: ${viaApi ? 'the admin API' : 'the admin room'}`, () => {
    let lab: Lab;
    let profile: Profile;
    let client: PeopleClient;
    let dataDir: string;
    const secrets = new MemorySecrets();
    const PASSWORD = 'family-password-1';

    beforeAll(async () => {
      lab = await startLab({ keyring: false, tuwunelVersion: version, seedUsers: 3 });
      profile = profileSchema.parse(lab.profile);
      dataDir = join(lab.dir, 'app-data');
      await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, lab.secrets.adminAccessToken);
      for (const name of ['mum', 'dad', 'gran'])
        await lab.client.register({
          username: name,
          password: PASSWORD,
          token: lab.secrets.registrationToken,
          deviceName: 'Element X',
        });
      client = new PeopleClient({
        profile,
        secrets,
        acts: new AuditLog(dataDir).acts(profile.name),
        replyTimeoutMs: 15_000,
      });
    });
    afterAll(async () => {
      await lab?.stop();
    });

    /** What the admin said in the admin room, and everything the room holds. */
    const roomText = () => JSON.stringify(lab.adminRoomLog());
    const auditText = () => readFile(join(dataDir, 'audit.jsonl'), 'utf8').catch(() => '');

    it('lists the local users, pages and searches them, and shows one', async () => {
      await lab.client.login('mum', PASSWORD, 'Pixel');
      const first = await client.listUsers({ limit: 2 });
      expect(first.route).toBe(viaApi ? 'admin-api' : 'admin-room');
      expect(first.users).toHaveLength(2);
      expect(first.nextFrom).toBe(2);
      const all = await client.listUsers({ limit: 200 });
      const ids = all.users.map((u) => u.userId);
      expect(ids).toEqual(
        expect.arrayContaining(['@mum:lab.test', '@dad:lab.test', '@gran:lab.test', '@member0003:lab.test']),
      );
      expect(all.total).toBe(all.users.length);
      expect(all.nextFrom).toBeNull();
      const member = all.users.find((u) => u.userId === '@mum:lab.test');
      expect(member?.lastActiveAt).toBeGreaterThan(Date.now() - 60_000);
      if (viaApi) {
        expect(member).toMatchObject({ admin: false, deactivated: false, displayName: expect.any(String) });
        expect(member?.deviceCount).toBeGreaterThanOrEqual(1);
        expect(all.note).toBeNull();
      } else {
        expect(member).toMatchObject({ admin: null, deviceCount: null });
        expect(all.note).toMatch(/need the admin API \(Tuwunel 1\.8\.1 on\)/);
      }
      const found = await client.listUsers({ search: 'member0003' });
      expect(found.users.map((u) => u.userId)).toEqual(['@member0003:lab.test']);
      const shown = await client.showUser('mum');
      expect(shown.userId).toBe('@mum:lab.test');
      if (viaApi) expect(shown.devices?.map((d) => d.displayName)).toContain('Pixel');
      else expect(shown.devices).toBeNull();
    });

    it('refuses a user of another server or a malformed ID before sending anything', async () => {
      const before = lab.adminRoomLog().length;
      await expect(client.showUser('@eve:evil.example')).rejects.toThrow(/only users of lab\.test/);
      await expect(client.signOut('@dad:lab.test', { deviceId: 'A B' })).rejects.toThrow(/not a device ID/);
      await expect(client.signOut('bob; rm -rf /', { all: true })).rejects.toThrow(/localpart/);
      expect(lab.adminRoomLog().length).toBe(before);
    });

    it('signs out a lost device: its access token stops working', async () => {
      const phone = await lab.client.login('dad', PASSWORD, 'Stolen phone');
      const laptop = await lab.client.login('dad', PASSWORD, 'Laptop');
      const whoami = (token: string) =>
        lab.client.request('GET', '/_matrix/client/v3/account/whoami', { token });
      expect((await whoami(phone.accessToken)).status).toBe(200);
      if (viaApi) {
        const devices = await client.devices('dad');
        expect(devices.find((d) => d.deviceId === phone.deviceId)).toMatchObject({
          displayName: 'Stolen phone',
          lastSeenIp: '127.0.0.1',
        });
      } else {
        await expect(client.devices('dad')).rejects.toThrow(PeopleRefused);
      }
      expect(await client.signOut('dad', { deviceId: phone.deviceId })).toEqual({
        removed: [phone.deviceId],
      });
      expect((await whoami(phone.accessToken)).json).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
      expect((await whoami(laptop.accessToken)).status).toBe(200);
      if (viaApi) {
        const r = await client.signOut('dad', { all: true });
        expect(r.removed).toContain(laptop.deviceId);
        expect((await whoami(laptop.accessToken)).json).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
      } else {
        await expect(client.signOut('dad', { all: true })).rejects.toThrow(
          /Signing out every device needs the admin API/,
        );
      }
    });

    it('resets a password only where the room never sees it', async () => {
      const password = 'Kx7mQ-2pLwe-9TzRv-hN4cY';
      const before = lab.adminRoomLog().length;
      if (viaApi) {
        const phone = await lab.client.login('gran', PASSWORD, 'Phone');
        await client.resetPassword('gran', password, { signOut: true });
        const again = await lab.client.login('gran', password, 'New phone');
        expect(again.userId).toBe('@gran:lab.test');
        const who = await lab.client.request('GET', '/_matrix/client/v3/account/whoami', {
          token: phone.accessToken,
        });
        expect(who.json).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN' });
      } else {
        const refused = await client.resetPassword('gran', password, { signOut: false }).catch((e) => e);
        expect(refused).toBeInstanceOf(PeopleRefused);
        expect(refused.message).toMatch(/with the new password in its reply/);
        // The old password still works: nothing was changed.
        await lab.client.login('gran', PASSWORD, 'Phone');
      }
      expect(lab.adminRoomLog().length).toBe(before);
      expect(roomText()).not.toContain(password);
      const audit = await auditText();
      expect(audit).toContain('users.reset-password');
      expect(audit).not.toContain(password);
    });

    it('deactivates a user: they can no longer log in', async () => {
      await client.deactivate('gran', { leaveRooms: true, erase: false });
      const login = await lab.client
        .login('gran', viaApi ? 'Kx7mQ-2pLwe-9TzRv-hN4cY' : PASSWORD)
        .catch((e: unknown) => e);
      expect(login).toBeInstanceOf(MatrixClientError);
      const listed = await client.listUsers({ search: 'gran' });
      if (viaApi) expect(listed.users[0]).toMatchObject({ deactivated: true });
      else expect(listed.users).toEqual([]);
      if (!viaApi)
        await expect(client.deactivate('mum', { leaveRooms: false, erase: true })).rejects.toThrow(
          /Erasing a user's data needs the admin API/,
        );
    });

    it(
      viaApi ? 'sends a server notice to every active user' : 'says server notices are not available',
      async () => {
        const text = 'The server restarts at 21:00 for about five minutes.';
        if (viaApi) {
          const r = await client.sendNotice(text);
          expect(r.failed).toEqual([]);
          expect(r.sent).toContain('@dad:lab.test');
          expect(r.sent).not.toContain('@gran:lab.test');
          const notices = lab.serverNotices();
          expect(
            notices
              .filter((n) => n.content.body === text)
              .map((n) => n.user_id)
              .sort(),
          ).toEqual([...r.sent].sort());
        } else {
          await expect(client.sendNotice(text)).rejects.toThrow(
            /Server notices are not available: Tuwunel 1\.7\.0 \(as the server says\) has no send_server_notice \(it came with Tuwunel 1\.8\.2\)/,
          );
        }
      },
    );

    it('follows an invite from issue to "joined": register through the client API, then it is used, by whom', async () => {
      const clipboard = new RecordingClipboard();
      const history = new InviteHistory(join(dataDir, 'invites', 'lab.json'));
      const inviteClient = new InviteClient({
        profile,
        secrets,
        history,
        replyTimeoutMs: 15_000,
        acts: new AuditLog(dataDir).acts(profile.name),
      });
      const invites = new InviteService({
        client: inviteClient,
        guard: new ClipboardGuard(clipboard),
        profile: () => profile,
        clearDelaySeconds: () => null,
      });
      // A room that is not a room, or the admin room, is refused before anything is issued.
      const roomBefore = lab.adminRoomLog().length;
      const tokensBefore = await inviteClient.list();
      await expect(invites.create({ uses: 1, inviteTo: 'family room' })).rejects.toThrow(
        /room: is not a room alias/,
      );
      await expect(invites.create({ uses: 1, inviteTo: '#admins:lab.test' })).rejects.toThrow(
        /room: is the admin room/,
      );
      expect(lab.adminRoomLog().length).toBe(roomBefore);
      expect(await inviteClient.list()).toEqual(tokensBefore);
      const created = await invites.create({ uses: 1, expires: '7d', inviteTo: '#family:lab.test' });
      const token = clipboard.content;
      expect(token).toMatch(/^[A-Za-z0-9]{16}$/);
      // The second clipboard payload: the joining instructions, without the token.
      await invites.copyInstructions();
      expect(clipboard.content).toContain(
        'When prompted for a registration token, enter the one you were sent separately.',
      );
      expect(clipboard.content).not.toContain(token);
      const spare = await invites.create({ uses: 1, expires: '7d', inviteTo: '#nowhere:lab.test' });

      const pending = await invites.list();
      expect(pending.find((i) => i.id === created.invite.id)).toMatchObject({ state: 'pending', joined: [] });
      expect(await inviteClient.follow()).toEqual([]);

      const nana = await lab.client.register({
        username: 'nana',
        password: PASSWORD,
        token,
        deviceName: 'iPad',
      });
      expect(nana.userId).toBe('@nana:lab.test');
      const ended = await inviteClient.follow();
      expect(ended).toEqual([
        {
          ref: expect.any(String),
          hint: created.invite.hint,
          state: 'used',
          joined: ['@nana:lab.test'],
          invitedTo: '#family:lab.test',
          inviteProblem: null,
        },
      ]);
      // The admin's own client-API invite into the family room, on every release.
      const family = (
        await lab.client.request('GET', '/_matrix/client/v3/directory/room/%23family%3Alab.test')
      ).json as { room_id: string };
      expect(lab.roomInvites()).toEqual([
        {
          room_id: family.room_id,
          sender: '@admin:lab.test',
          user_id: '@nana:lab.test',
          at: expect.any(Number),
        },
      ]);
      expect(await auditText()).toContain('"action":"invite.room"');
      const listed = await invites.list();
      expect(listed.find((i) => i.hint === created.invite.hint && i.state === 'used')).toMatchObject({
        joined: ['@nana:lab.test'],
        endedAt: expect.any(Number),
      });
      // Revoke every unused invite in one go: the spare one; the used one is not touched.
      expect(await invites.revokeUnused()).toEqual({ revoked: 1 });
      const after = await invites.list();
      expect(after.find((i) => i.hint === spare.invite.hint)).toMatchObject({ state: 'revoked' });
      expect(after.filter((i) => i.state === 'pending' && i.issuedAt !== null)).toEqual([]);
      const history2 = JSON.stringify(await history.read());
      expect(history2).not.toContain(token);

      // An invite nobody used before it ran out is expired, not used.
      const short = await invites.create({ uses: 1, expires: '1m' });
      const later = new InviteClient({ profile, secrets, history, now: () => Date.now() + 120_000 });
      expect(await later.follow()).toEqual([
        {
          ref: expect.any(String),
          hint: short.invite.hint,
          state: 'expired',
          joined: [],
          invitedTo: null,
          inviteProblem: null,
        },
      ]);

      // A room the server does not know: the new member is told about, the failed room invite said why.
      const lost = await invites.create({ uses: 1, expires: '7d', inviteTo: '#nowhere:lab.test' });
      await lab.client.register({ username: 'cousin', password: PASSWORD, token: clipboard.content });
      expect(lost.invite.hint).toBe(`${clipboard.content.slice(0, 4)}…`);
      expect(await inviteClient.follow()).toEqual([
        expect.objectContaining({
          joined: ['@cousin:lab.test'],
          invitedTo: null,
          inviteProblem: expect.stringMatching(
            /Resolving #nowhere:lab\.test failed: the homeserver answered 404 M_NOT_FOUND/,
          ),
        }),
      ]);

      // A look between Tuwunel taking the token and posting the registration notice: the real room, read
      // before the notice is there (as a room that has not got it yet). The invite stays pending; the next
      // look names who joined. With no notice for two minutes it ends used by nobody known.
      class BeforeTheNotice extends AdminRoomClient {
        override async recentNotices() {
          return [];
        }
      }
      const early = (now = Date.now) =>
        new InviteClient({
          profile,
          secrets,
          history,
          now,
          adminRoom: new BeforeTheNotice({
            baseUrl: profile.publicUrl,
            serverName: profile.serverName,
            ca: readFileSync(lab.caCertPath),
          }),
        });
      const racing = await invites.create({ uses: 1, expires: '7d' });
      await lab.client.register({ username: 'uncle', password: PASSWORD, token: clipboard.content });
      expect(await early().follow()).toEqual([]);
      expect((await history.read()).find((e) => e.hint === racing.invite.hint)).toMatchObject({
        state: 'pending',
        usedSeenAt: expect.any(Number),
      });
      expect(await inviteClient.follow()).toEqual([
        expect.objectContaining({ hint: racing.invite.hint, state: 'used', joined: ['@uncle:lab.test'] }),
      ]);
      const silent = await invites.create({ uses: 1, expires: '7d' });
      await lab.client.register({ username: 'aunt', password: PASSWORD, token: clipboard.content });
      expect(await early().follow()).toEqual([]);
      expect(await early(() => Date.now() + 180_000).follow()).toEqual([
        expect.objectContaining({ hint: silent.invite.hint, state: 'used', joined: [] }),
      ]);
    });

    it('an unknown admin token is a sentence with a next step', async () => {
      const other = new MemorySecrets();
      await other.set({ profile: profile.name, kind: 'matrix-admin-token' }, 'not-a-token');
      const stranger = new PeopleClient({ profile, secrets: other, replyTimeoutMs: 5_000 });
      const error = await stranger.listUsers().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MatrixRequestFailed);
      expect((error as MatrixRequestFailed).nextStep).toMatch(/Log in again as the admin/);
    });
  });
}
