import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeopleClient } from '../../../src-main/core/matrix/people';
import { profileSchema } from '../../../src-main/core/profile/schema';
import { startLab } from '../../lab/lab';
import type { Lab } from '../../lab/types';
import { MemorySecrets } from '../../unit/core/runbook/test-profile';

/**
 * A big server on the admin-room route: Tuwunel 1.8.2 with the admin API not routed by the proxy and 1,600 more
 * people, so `users list-users` answers with an uploaded `m.file` (service/admin/respond.rs from 1.8.2), which the
 * app downloads and reads like a text reply.
 */
describe('people through the admin room when list-users comes as a file (Tuwunel 1.8.2, API not routed)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({
      keyring: false,
      tuwunelVersion: '1.8.2',
      seedUsers: 1600,
      synapseAdminApiRouted: false,
    });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('lists every user from the uploaded reply, with last-active times, and pages it', async () => {
    const profile = profileSchema.parse(lab.profile);
    const secrets = new MemorySecrets();
    await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, lab.secrets.adminAccessToken);
    const people = new PeopleClient({ profile, secrets, replyTimeoutMs: 30_000 });
    const route = await people.route();
    expect(route.route).toBe('admin-room');
    expect(route.why).toMatch(/the proxy does not route \/_synapse\/admin to Tuwunel/);

    const first = await people.listUsers({ limit: 1000 });
    expect(first.total).toBeGreaterThan(1600);
    expect(first.users).toHaveLength(1000);
    expect(first.nextFrom).toBe(1000);
    const rest = await people.listUsers({ from: 1000, limit: 1000 });
    expect(first.users.length + rest.users.length).toBe(first.total);
    expect(rest.nextFrom).toBeNull();
    const member = [...first.users, ...rest.users].find((u) => u.userId === '@member1600:lab.test');
    expect(member?.lastActiveAt).toEqual(expect.any(Number));
    // The reply was a file: the room holds an m.file event for list-users.
    expect(lab.adminRoomLog().some((e) => e.content.msgtype === 'm.file')).toBe(true);
  });
});
