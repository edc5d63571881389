import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from '../../lab/lab';
import { MatrixClientError } from '../../lab/matrix-client';
import type { Lab } from '../../lab/types';
import { admin } from './admin-room-helper';
import { sleep } from './ssh-helpers';

// The lab's people side as each release answers it (issue 16.8), against full labs (HTTPS with the lab CA,
// the admin room, the state the stand-ins share): registration through user-interactive auth with a token
// (src/api/client/register*.rs, src/service/uiaa, src/service/registration_tokens), the admin room's
// registration notice (announce_new_user), auto_join_rooms (src/service/users/register.rs), password login
// and devices (src/api/client/session), reset-password in the admin room (src/admin/user/reset_password.rs)
// and in the admin API with the rest of it from 1.8.1 (src/api/client/admin/users), server notices (1.8.2).

const SERVER = 'lab.test';

const noticesSince = (lab: Lab, count: number) =>
  lab
    .adminRoomLog()
    .slice(count)
    .filter((e) => e.sender === `@conduit:${SERVER}` && e.content['m.relates_to'] === undefined);

async function refused(p: Promise<unknown>): Promise<MatrixClientError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof MatrixClientError) return error;
    throw error;
  }
  throw new Error('expected the server to refuse');
}

describe('people on a 1.7.0 lab: registration with a token, the admin room’s notice, devices, reset-password', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ keyring: false, autoJoinRooms: [`#family:${SERVER}`] });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('registers with a one-shot token as a client does; the token is then gone and the admin room says who joined', async () => {
    const issued = String((await admin(lab, 'token issue --once')).body);
    const token = /`([A-Za-z0-9]{16})`/.exec(issued)?.[1] ?? '';
    expect(issued).toBe(
      `New registration token issued: \`${token}\` - Token used 0 times. Expires after 1 uses.`,
    );
    const logBefore = lab.adminRoomLog().length;

    const dana = await lab.client.register({
      username: 'Dana',
      password: 'dana-password-1',
      token,
      deviceName: 'Element X (Pixel 9)',
    });
    // The flow the server offered: the token stage alone, in a 32-character session (no dummy stage after it).
    expect(dana.offered).toEqual({
      flows: [{ stages: ['m.login.registration_token'] }],
      session: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
    });
    expect(dana.completed).toEqual(['m.login.registration_token']);
    expect(dana).toMatchObject({
      userId: '@dana:lab.test',
      deviceId: expect.stringMatching(/^[A-Za-z0-9]{10}$/),
    });

    // The admin room's notice (announce_new_user), a markdown m.notice from the server user.
    expect(noticesSince(lab, logBefore).map((e) => e.content)).toEqual([
      {
        msgtype: 'm.notice',
        body: 'New user "@dana:lab.test" registered on this server from IP 127.0.0.1 with device name Element X (Pixel 9)',
      },
    ]);
    // Used up: gone from the list, and refused when tried again.
    const list = String((await admin(lab, 'token list')).body);
    expect(list).not.toContain(token);
    const again = await refused(lab.client.register({ username: 'eve', password: 'x-password', token }));
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({
      errcode: 'M_FORBIDDEN',
      error: 'Invalid registration token.',
      flows: [{ stages: ['m.login.registration_token'] }],
    });

    // The new account: in list-users, with its device, its display name (the playbook's empty suffix), and
    // in the family room (auto_join_rooms).
    expect(String((await admin(lab, 'users list-users')).body)).toContain('@dana:lab.test\n');
    expect(String((await admin(lab, 'users list-joined-rooms @dana:lab.test')).body)).toMatch(
      /\tName: Family\n/,
    );
    const who = await lab.client.request('GET', '/_matrix/client/v3/account/whoami', {
      token: dana.accessToken,
    });
    expect(who.json).toEqual({ user_id: '@dana:lab.test', device_id: dana.deviceId });
    const devices = await readFile(join(lab.hosts.homeserver.dir, 'state/tuwunel/devices'), 'utf8');
    expect(devices).toMatch(
      new RegExp(
        `^@dana:lab\\.test\\t${dana.deviceId}\\tElement X \\(Pixel 9\\)\\t\\d{13}\\t127\\.0\\.0\\.1$`,
        'm',
      ),
    );
    const users = await readFile(join(lab.hosts.homeserver.dir, 'state/tuwunel/users'), 'utf8');
    expect(users).toMatch(/^@dana:lab\.test\t0\t0\t[0-9a-f]{64}\tdana\t-?$/m);
  });

  it('counts a token’s uses and refuses wrong tokens, unknown sessions and taken names with the real errors', async () => {
    const issued = String((await admin(lab, 'token issue --max-uses 2')).body);
    const token = /`([A-Za-z0-9]{16})`/.exec(issued)?.[1] ?? '';
    await lab.client.register({ username: 'frank', password: 'frank-password', token });
    expect(String((await admin(lab, 'token list')).body)).toContain(
      `- \`${token}\` --- Token used 1 times. Expires after 2 uses.`,
    );

    const wrong = await refused(
      lab.client.register({ username: 'gina', password: 'pw-gina', token: 'nope' }),
    );
    expect(wrong.body).toMatchObject({ errcode: 'M_FORBIDDEN', error: 'Invalid registration token.' });
    const taken = await refused(lab.client.register({ username: 'frank', password: 'pw', token }));
    expect([taken.status, taken.body]).toEqual([
      400,
      { errcode: 'M_USER_IN_USE', error: 'M_USER_IN_USE: User ID is not available.' },
    ]);
    const unknownSession = await lab.client.request('POST', '/_matrix/client/v3/register', {
      body: {
        username: 'gina',
        password: 'pw',
        auth: { type: 'm.login.registration_token', token, session: 'x' },
      },
    });
    expect([unknownSession.status, unknownSession.json]).toEqual([
      403,
      { errcode: 'M_FORBIDDEN', error: 'M_FORBIDDEN: UIAA session does not exist.' },
    ]);
    const validity = (t: string) =>
      lab.client.request('GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${t}`);
    expect((await validity(token)).json).toEqual({ valid: true });
    expect((await validity('nope')).json).toEqual({ valid: false });
    // The vault's token (the config file's) never runs out.
    const viaConfig = await lab.client.register({
      username: 'gina',
      password: 'pw-gina',
      token: lab.secrets.registrationToken,
    });
    expect(viaConfig.userId).toBe('@gina:lab.test');

    // An expiring token is refused once its time is up.
    const short =
      /`([A-Za-z0-9]{16})`/.exec(String((await admin(lab, 'token issue --max-age 1s')).body))?.[1] ?? '';
    await sleep(1100);
    const late = await refused(lab.client.register({ username: 'hal', password: 'pw-hal', token: short }));
    expect(late.body).toMatchObject({ errcode: 'M_FORBIDDEN', error: 'Invalid registration token.' });
  });

  it('signs a device in with a password, and the admin room’s delete-device ends its token', async () => {
    await lab.client.register({
      username: 'ivan',
      password: 'ivan-pw',
      token: lab.secrets.registrationToken,
    });
    const phone = await lab.client.login('ivan', 'ivan-pw', 'Stolen phone');
    expect(phone.userId).toBe('@ivan:lab.test');
    const whoami = () =>
      lab.client.request('GET', '/_matrix/client/v3/account/whoami', { token: phone.accessToken });
    expect((await whoami()).status).toBe(200);
    expect(String((await admin(lab, `users delete-device @ivan:lab.test ${phone.deviceId}`)).body)).toBe(
      `User @ivan:lab.test's device ${phone.deviceId} removed.`,
    );
    expect((await whoami()).json).toEqual({
      errcode: 'M_UNKNOWN_TOKEN',
      error: 'M_UNKNOWN_TOKEN: Unknown access token.',
    });
    const wrong = await refused(lab.client.login('ivan', 'not-it'));
    expect([wrong.status, wrong.body]).toEqual([
      403,
      { errcode: 'M_FORBIDDEN', error: 'M_FORBIDDEN: Wrong username or password.' },
    ]);
  });

  it('reset-password answers with the new password in the room (every release does), and it is the one that works', async () => {
    await lab.client.register({
      username: 'judy',
      password: 'judy-old',
      token: lab.secrets.registrationToken,
    });
    const reply = await admin(lab, 'users reset-password @judy:lab.test');
    const password = /`([A-Za-z0-9]{25})`$/.exec(String(reply.body))?.[1] ?? '';
    expect(reply.body).toBe(`Successfully reset the password for user @judy:lab.test: \`${password}\``);
    // Readable in the room's history for anyone in it, as the formatted body too.
    expect(String(reply.formatted_body)).toContain(`<code>${password}</code>`);
    expect(lab.adminRoomLog().some((e) => JSON.stringify(e.content).includes(password))).toBe(true);
    await expect(lab.client.login('judy', password)).resolves.toMatchObject({ userId: '@judy:lab.test' });
    await expect(refused(lab.client.login('judy', 'judy-old'))).resolves.toMatchObject({ status: 403 });
  });
});

describe('people on a 1.9.0 lab: the admin API (users, devices, admin flag, erase, reset, notices)', () => {
  let lab: Lab;
  const api = (method: string, path: string, body?: unknown) =>
    lab.client.request(method, path, { token: lab.secrets.adminAccessToken, body });
  beforeAll(async () => {
    lab = await startLab({ keyring: false, tuwunelVersion: '1.9.0' });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('a one-shot token from the admin API: completed never shows, the token is gone once used', async () => {
    const created = await api('POST', '/_synapse/admin/v1/registration_tokens/new', { uses_allowed: 1 });
    const token = created.json.token as string;
    const kim = await lab.client.register({
      username: 'kim',
      password: 'kim-pw',
      token,
      deviceName: 'Element',
    });
    expect(kim.offered.flows).toEqual([{ stages: ['m.login.registration_token'] }]);
    expect((await api('GET', `/_synapse/admin/v1/registration_tokens/${token}`)).json).toEqual({
      errcode: 'M_NOT_FOUND',
      error: 'M_NOT_FOUND: Registration token not found',
    });
    expect(lab.adminRoomLog().at(-1)?.content.body).toBe(
      'New user "@kim:lab.test" registered on this server from IP 127.0.0.1 with device name Element',
    );
  });

  it('shows a user with its last-seen device, signs devices out, resets with and without logout_devices', async () => {
    const laptop = await lab.client.login('@alice:lab.test', 'wrong').catch((e: MatrixClientError) => e);
    expect(laptop).toBeInstanceOf(MatrixClientError);
    // Alice's password is random in the lab: set one through the API, keeping her phone signed in.
    expect(
      (
        await api('POST', '/_synapse/admin/v1/reset_password/@alice:lab.test', {
          new_password: 'alice-new',
          logout_devices: false,
        })
      ).json,
    ).toEqual({});
    const session = await lab.client.login('alice', 'alice-new', 'Laptop');
    const details = await api('GET', '/_synapse/admin/v2/users/@alice:lab.test');
    expect(details.json).toEqual({
      name: '@alice:lab.test',
      is_guest: false,
      admin: false,
      deactivated: false,
      locked: false,
      shadow_banned: false,
      suspended: false,
      erased: false,
      consent_ts: null,
      creation_ts: null,
      last_seen_ts: expect.any(Number),
      displayname: 'Alice',
    });
    const devices = (await api('GET', '/_synapse/admin/v2/users/@alice:lab.test/devices')).json.devices as {
      device_id: string;
      display_name: string;
    }[];
    expect(devices.map((d) => [d.device_id, d.display_name])).toEqual([
      ['ALICEPHONE', 'Element X (Pixel 8)'],
      [session.deviceId, 'Laptop'],
    ]);
    expect(
      (await api('DELETE', `/_synapse/admin/v2/users/@alice:lab.test/devices/${session.deviceId}`)).status,
    ).toBe(200);
    expect(
      (await lab.client.request('GET', '/_matrix/client/v3/account/whoami', { token: session.accessToken }))
        .status,
    ).toBe(401);
    // logout_devices defaults to true: every device goes.
    await api('POST', '/_synapse/admin/v1/reset_password/@alice:lab.test', { new_password: 'alice-newer' });
    expect((await api('GET', '/_synapse/admin/v2/users/@alice:lab.test/devices')).json).toEqual({
      devices: [],
      total: 0,
    });
  });

  it('makes and unmakes an admin through PUT v2/users (the admin room shows both), never the caller itself', async () => {
    const before = lab.adminRoomLog().length;
    const made = await api('PUT', '/_synapse/admin/v2/users/@bob:lab.test', { admin: true });
    expect(made.json).toMatchObject({ name: '@bob:lab.test', admin: true });
    const granted = lab.adminRoomLog().slice(before);
    expect(granted.map((e) => [e.type, e.state_key, e.content.membership])).toEqual([
      ['m.room.member', '@bob:lab.test', 'invite'],
      ['m.room.member', '@bob:lab.test', 'join'],
      ['m.room.power_levels', '', undefined],
      ['m.room.message', undefined, undefined],
    ]);
    const unmade = await api('PUT', '/_synapse/admin/v2/users/@bob:lab.test', { admin: false });
    expect(unmade.json).toMatchObject({ admin: false });
    expect(lab.adminRoomLog().at(-1)).toEqual({
      type: 'm.room.member',
      sender: '@conduit:lab.test',
      state_key: '@bob:lab.test',
      content: { membership: 'leave', reason: 'Admin Revoked' },
    });
    expect((await api('PUT', '/_synapse/admin/v2/users/@admin:lab.test', { admin: false })).json).toEqual({
      errcode: 'M_INVALID_PARAM',
      error: 'M_INVALID_PARAM: You may not demote yourself.',
    });
    expect((await lab.state.users()).find((u) => u.userId === '@admin:lab.test')?.admin).toBe(true);
  });

  it('deactivates with erase (1.8.1), which users erasure then reports', async () => {
    expect((await api('POST', '/_synapse/admin/v1/deactivate/@bob:lab.test', { erase: true })).json).toEqual({
      id_server_unbind_result: 'success',
    });
    expect((await api('GET', '/_synapse/admin/v2/users/@bob:lab.test')).json).toMatchObject({
      deactivated: true,
      erased: true,
    });
    expect(String((await admin(lab, 'users erasure @bob:lab.test')).body)).toMatch(
      /^@bob:lab\.test is erased \(since count \d+\)$/,
    );
    expect((await admin(lab, 'users unerase @bob:lab.test')).body).toBe(
      'Cleared the erasure marker of @bob:lab.test',
    );
    expect((await admin(lab, 'users erasure @bob:lab.test')).body).toBe('@bob:lab.test is not erased');
  });

  it('sends server notices (1.8.2) and records what each user got', async () => {
    const sent = await api('POST', '/_synapse/admin/v1/send_server_notice', {
      user_id: '@alice:lab.test',
      content: { msgtype: 'm.text', body: 'The server restarts at 21:00 for about five minutes' },
    });
    expect(sent.json.event_id).toMatch(/^\$/);
    expect(lab.serverNotices()).toEqual([
      {
        user_id: '@alice:lab.test',
        room_id: expect.stringMatching(/^!/),
        sender: '@conduit:lab.test',
        type: 'm.room.message',
        content: { msgtype: 'm.text', body: 'The server restarts at 21:00 for about five minutes' },
      },
    ]);
  });
});

describe('a server with 1,600 people (seedUsers) on 1.9.0', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ keyring: false, tuwunelVersion: '1.9.0', seedUsers: 1600 });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('list-users comes as an m.file; the admin API pages; last-active answers at once', async () => {
    const reply = await admin(lab, 'users list-users');
    expect(reply).toMatchObject({ msgtype: 'm.file', info: { mimetype: 'text/markdown' } });
    const mxc = String(reply.url).replace('mxc://', '');
    const file = await lab.client.request('GET', `/_matrix/client/v1/media/download/${mxc}`, {
      token: lab.secrets.adminAccessToken,
    });
    const text = String(file.json.body ?? '');
    expect(text.startsWith('Found 1603 local user account(s):\n```\n')).toBe(true);
    expect(text).toContain('@member1600:lab.test\n');
    const page = await lab.client.request('GET', '/_synapse/admin/v2/users?from=100&limit=50', {
      token: lab.secrets.adminAccessToken,
    });
    expect(page.json).toMatchObject({ total: 1603, next_token: '150' });
    const started = Date.now();
    const active = String((await admin(lab, 'users last-active --limit 3')).body);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(active.split('\n').filter((l) => l !== '')).toHaveLength(3);
  });
});

describe('registration without any valid token (open registration) on 1.8.1', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({ keyring: false, tuwunelVersion: '1.8.1', registrationToken: '' });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('offers the dummy stage alone; with allow_registration off it refuses before any auth', async () => {
    const open = await lab.client.register({ username: 'walk-in', password: 'pw-walk-in', token: 'unused' });
    expect(open.offered.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    expect(open.completed).toEqual(['m.login.dummy']);
    expect(open.userId).toBe('@walk-in:lab.test');
    const validity = await lab.client.request(
      'GET',
      '/_matrix/client/v1/register/m.login.registration_token/validity?token=x',
    );
    expect([validity.status, validity.json]).toEqual([
      403,
      { errcode: 'M_FORBIDDEN', error: 'M_FORBIDDEN: Server does not allow token registration' },
    ]);

    const toml = join(lab.hosts.homeserver.dir, 'state/tuwunel/config/tuwunel.toml');
    await writeFile(
      toml,
      (await readFile(toml, 'utf8')).replace('allow_registration = true', 'allow_registration = false'),
    );
    await lab.hosts.homeserver.sh('systemctl restart matrix-tuwunel');
    const closed = await refused(lab.client.register({ username: 'late', password: 'pw', token: 'unused' }));
    expect([closed.status, closed.body]).toEqual([
      403,
      { errcode: 'M_FORBIDDEN', error: 'M_FORBIDDEN: Registration has been disabled.' },
    ]);
  });
});
