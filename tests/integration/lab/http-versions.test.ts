import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_UNITS } from '../../../src-main/core/profile/schema';
import {
  LEGACY_MEDIA_ENVIRONMENT,
  renderedLabels,
  renderedTuwunelToml,
} from '../../lab/deploy/inventory-files';
import { runCommand } from '../../lab/deploy/run';
import { setupHomeserver } from '../../lab/homeserver/setup-homeserver';
import { type HomeserverHttp, startHomeserverHttp } from '../../lab/https/homeserver-http';
import { LAB_CACHE_DIR } from '../../lab/lab';
import { makeLabTls } from '../../lab/tls';
import { TUWUNEL_VERSIONS } from '../../lab/types';

// The lab's HTTPS side answering as each Tuwunel release, over a real TLS client: the Synapse admin API
// endpoint sets (docs/development/compliance/synapse-admin.md at each tag), Traefik's routing by the
// playbook's labels, the admin room's long replies (src/service/admin/respond.rs, 1.8.2) and the
// federation allowlist before 1.8.0 (src/api/client/message.rs is_ignored_pdu; tuwunel#489).

const ADDRESS = '127.0.0.78';
const SERVER = 'lab.test';
const ADMIN = '@admin:lab.test';
const ADMIN_TOKEN = 'lab-admin-access-token-versions';
const CONFIG_TOKEN = 'c1'.repeat(32);

let labDir: string;
let homeserverDir: string;
let http: HomeserverHttp;
let agent: Agent;
let roomId: string;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field.
  json: any;
}

function call(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      `${http.publicUrl}${path}`,
      {
        method,
        agent,
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const homeserver = (command: string, ...args: string[]) =>
  runCommand(join(homeserverDir, 'bin', command), args, {
    env: { ...process.env, LAB_HOST_DIR: homeserverDir },
  });

/** What Tuwunel reads at start-up changes with a restart (the HTTP side caches it per unit start). */
async function restartWith(files: { toml?: string; labels?: string }) {
  const config = join(homeserverDir, 'state/tuwunel/config');
  if (files.toml !== undefined) await writeFile(join(config, 'tuwunel.toml'), files.toml);
  if (files.labels !== undefined) await writeFile(join(config, 'labels'), files.labels);
  await new Promise((r) => setTimeout(r, 20));
  expect((await homeserver('systemctl', 'restart', 'matrix-tuwunel')).exitCode).toBe(0);
}

let txn = 0;
async function sendCommand(command: string): Promise<void> {
  await call('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/v-${++txn}`, {
    token: ADMIN_TOKEN,
    body: { msgtype: 'm.text', body: `!admin ${command}` },
  });
}

type LogEvent = { type: string; sender: string; state_key?: string; content: Record<string, unknown> };
async function roomLog(): Promise<LogEvent[]> {
  const text = await readFile(join(homeserverDir, 'admin-room.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogEvent);
}

/** The bot's answer to the latest `!admin <command>`, from the admin room's log. */
async function answer(command: string): Promise<LogEvent> {
  for (let i = 0; i < 100; i++) {
    const log = await roomLog();
    let at = -1;
    log.forEach((e, k) => {
      if (e.sender === ADMIN && e.content.body === `!admin ${command}`) at = k;
    });
    const found = log.slice(at + 1).find(
      (e) =>
        at >= 0 &&
        e.sender === `@conduit:${SERVER}` &&
        e.type === 'm.room.message' &&
        // A reply relates to its command; before 1.8.2 an oversized one is replaced by an m.text saying so.
        (e.content['m.relates_to'] !== undefined || String(e.content.body).startsWith('Failed to build')),
    );
    if (found) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`No answer to ${command}`);
}

beforeAll(async () => {
  labDir = await mkdtemp(join(tmpdir(), 'lab-http-versions-'));
  homeserverDir = join(labDir, 'homeserver');
  await setupHomeserver({
    hostDir: homeserverDir,
    cacheDir: LAB_CACHE_DIR,
    serverName: SERVER,
    tuwunelVersion: '1.7.0',
    sudoPassword: 'pw',
    units: DEFAULT_UNITS,
    users: [
      { userId: ADMIN, admin: true, deactivated: false, password: 'admin-pw', displayName: 'admin' },
      {
        userId: '@alice:lab.test',
        admin: false,
        deactivated: false,
        password: 'alice-pw',
        displayName: 'Alice',
      },
      { userId: '@carol:lab.test', admin: false, deactivated: true },
    ],
    devices: [
      {
        userId: '@alice:lab.test',
        deviceId: 'ALICEPHONE',
        displayName: 'Pixel',
        lastSeenMs: 1_800_000_000_000,
        lastSeenIp: '192.168.1.50',
      },
    ],
  });
  const config = join(homeserverDir, 'state/tuwunel/config');
  await Promise.all([
    writeFile(
      join(config, 'tuwunel.toml'),
      renderedTuwunelToml({ serverName: SERVER, registrationToken: CONFIG_TOKEN }),
    ),
    writeFile(join(config, 'labels'), renderedLabels({ serverName: SERVER, synapseAdminApiRouted: true })),
    writeFile(join(config, 'env'), LEGACY_MEDIA_ENVIRONMENT),
  ]);
  const tls = await makeLabTls({
    dir: join(labDir, 'client'),
    cacheDir: LAB_CACHE_DIR,
    address: ADDRESS,
    serverName: SERVER,
  });
  agent = new Agent({ ca: await readFile(tls.caCertPath, 'utf8'), keepAlive: true, maxSockets: 4 });
  http = await startHomeserverHttp({
    address: ADDRESS,
    homeserverDir,
    serverName: SERVER,
    keyPem: tls.keyPem,
    certPem: tls.certPem,
    tuwunelVersion: '1.7.0',
    adminUserId: ADMIN,
    adminAccessToken: ADMIN_TOKEN,
  });
  roomId = (await call('GET', `/_matrix/client/v3/directory/room/${encodeURIComponent(`#admins:${SERVER}`)}`))
    .json.room_id;
});

afterAll(async () => {
  agent?.destroy();
  await http?.stop();
  await rm(labDir, { recursive: true, force: true });
});

describe('version endpoints', () => {
  it('/_tuwunel/server_version and the federation version name the release (src/api/client/tuwunel.rs)', async () => {
    for (const version of TUWUNEL_VERSIONS) {
      await http.setTuwunelVersion(version);
      expect((await call('GET', '/_tuwunel/server_version')).json).toEqual({ name: 'Tuwunel', version });
      expect((await call('GET', '/_matrix/federation/v1/version')).json.server).toMatchObject({
        name: 'Tuwunel',
        version,
      });
    }
  });

  it('/_matrix/client/versions lists the spec versions of the tag (src/api/client/versions.rs VERSIONS)', async () => {
    const versions = async (v: string) => {
      await http.setTuwunelVersion(v);
      return (await call('GET', '/_matrix/client/versions')).json;
    };
    const v170 = await versions('1.7.0');
    expect(v170.versions.slice(-5)).toEqual(['v1.5', 'v1.10', 'v1.11', 'v1.12', 'v1.15']);
    expect(v170.server.compiler).toMatch(/^rustc 1\.94\.0 /);
    const v171 = await versions('1.7.1');
    expect(v171.versions.slice(-3)).toEqual(['v1.15', 'v1.16', 'v1.17']);
    // rust-toolchain.toml moved to 1.95.0 at 1.8.1.
    expect((await versions('1.8.1')).server.compiler).toMatch(/^rustc 1\.95\.0 /);
    const v182 = await versions('1.8.2');
    expect(v182.versions.at(-1)).toBe('v1.19');
    expect(Object.keys(v182.unstable_features)).toEqual(Object.keys(v182.unstable_features).sort());
    expect(Object.keys(v182.unstable_features)).toHaveLength(38);
  });
});

describe('the Synapse admin API of each release', () => {
  it('1.7.0 serves only the shared-secret register routes, refused without a shared secret', async () => {
    await http.setTuwunelVersion('1.7.0');
    for (const path of [
      '/_synapse/admin/v1/server_version',
      '/_synapse/admin/v1/registration_tokens',
      '/_synapse/admin/v2/users',
    ])
      expect((await call('GET', path, { token: ADMIN_TOKEN })).status).toBe(404);
    // src/api/client/admin/get_nonce.rs.
    expect((await call('GET', '/_synapse/admin/v1/register')).json).toEqual({
      errcode: 'M_UNKNOWN',
      error: 'M_UNKNOWN: Shared-secret registration is not enabled',
    });
  });

  it('1.8.1 serves users, devices and tokens; send_server_notice and destinations come with 1.8.2', async () => {
    await http.setTuwunelVersion('1.8.1');
    const users = await call('GET', '/_synapse/admin/v2/users', { token: ADMIN_TOKEN });
    // src/api/client/admin/users/list_users.rs: name order, deactivated ones left out, creation_ts 0.
    expect(users.json).toEqual({
      users: [
        expect.objectContaining({
          name: ADMIN,
          admin: true,
          deactivated: false,
          displayname: 'admin',
          creation_ts: 0,
        }),
        expect.objectContaining({
          name: '@alice:lab.test',
          admin: false,
          deactivated: false,
          displayname: 'Alice',
          last_seen_ts: 1_800_000_000_000,
        }),
      ],
      total: 2,
    });
    const all = await call('GET', '/_synapse/admin/v2/users?deactivated=true&limit=1', {
      token: ADMIN_TOKEN,
    });
    expect(all.json).toMatchObject({ total: 3, next_token: '1' });
    expect(
      (await call('GET', '/_synapse/admin/v2/users/@alice:lab.test/devices', { token: ADMIN_TOKEN })).json,
    ).toEqual({
      devices: [
        {
          device_id: 'ALICEPHONE',
          display_name: 'Pixel',
          user_id: '@alice:lab.test',
          last_seen_ip: '192.168.1.50',
          last_seen_ts: 1_800_000_000_000,
        },
      ],
      total: 1,
    });
    expect(
      (await call('GET', '/_synapse/admin/v1/users/@alice:lab.test/admin', { token: ADMIN_TOKEN })).json,
    ).toEqual({
      admin: false,
    });
    for (const [method, path] of [
      ['POST', '/_synapse/admin/v1/send_server_notice'],
      ['GET', '/_synapse/admin/v1/federation/destinations'],
    ] as const)
      expect((await call(method, path, { token: ADMIN_TOKEN, body: {} })).status).toBe(404);
    // Served by the release, not acted out by the lab: said so, never faked.
    const rooms = await call('GET', '/_synapse/admin/v1/rooms', { token: ADMIN_TOKEN });
    expect(rooms.status).toBe(501);
    const alice = await call('GET', '/_synapse/admin/v2/users', { token: 'nope' });
    expect(alice.status).toBe(401);

    await http.setTuwunelVersion('1.8.2');
    const notice = { user_id: '@alice:lab.test', content: { msgtype: 'm.text', body: 'Restart at 21:00' } };
    const sent = await call('POST', '/_synapse/admin/v1/send_server_notice', {
      token: ADMIN_TOKEN,
      body: notice,
    });
    expect(sent.json).toEqual({ event_id: expect.stringMatching(/^\$/) });
    const once = await call('PUT', '/_synapse/admin/v1/send_server_notice/txn-1', {
      token: ADMIN_TOKEN,
      body: notice,
    });
    const twice = await call('PUT', '/_synapse/admin/v1/send_server_notice/txn-1', {
      token: ADMIN_TOKEN,
      body: notice,
    });
    expect(twice.json.event_id).toBe(once.json.event_id);
    expect(
      (
        await call('POST', '/_synapse/admin/v1/send_server_notice', {
          token: ADMIN_TOKEN,
          body: { ...notice, user_id: '@eve:other.test' },
        })
      ).json,
    ).toEqual({
      errcode: 'M_INVALID_PARAM',
      error: 'M_INVALID_PARAM: Server notices can only be sent to local users',
    });
    expect(
      (await call('GET', '/_synapse/admin/v1/federation/destinations', { token: ADMIN_TOKEN })).json,
    ).toEqual({
      destinations: [],
      total: 0,
    });
  });

  it('reset_password, delete devices and deactivate act on the state the admin commands share', async () => {
    await http.setTuwunelVersion('1.9.0');
    expect(
      (
        await call('POST', '/_synapse/admin/v1/reset_password/@alice:lab.test', {
          token: ADMIN_TOKEN,
          body: { new_password: 'new-pw', logout_devices: false },
        })
      ).json,
    ).toEqual({});
    expect((await homeserver('tuwunel-admin', 'users last-active')).stdout).toContain(' alice\n');
    expect(
      (
        await call('POST', '/_synapse/admin/v2/users/@alice:lab.test/delete_devices', {
          token: ADMIN_TOKEN,
          body: { devices: ['ALICEPHONE'] },
        })
      ).status,
    ).toBe(200);
    expect((await homeserver('tuwunel-admin', 'users last-active')).stdout).not.toContain('alice');
    expect(
      (await call('POST', '/_synapse/admin/v1/deactivate/@nobody:lab.test', { token: ADMIN_TOKEN, body: {} }))
        .json,
    ).toEqual({
      errcode: 'M_NOT_FOUND',
      error: 'M_NOT_FOUND: User not found',
    });
  });

  it('the config token: 404 for an update and 500 for a delete before 1.9.0, 403 for both from 1.9.0', async () => {
    const base = `/_synapse/admin/v1/registration_tokens/${CONFIG_TOKEN}`;
    await http.setTuwunelVersion('1.8.3');
    // tokens/update.rs and service/registration_tokens revoke_token at v1.8.3.
    expect((await call('PUT', base, { token: ADMIN_TOKEN, body: { uses_allowed: 1 } })).json).toEqual({
      errcode: 'M_NOT_FOUND',
      error: 'M_NOT_FOUND: No such registration token',
    });
    const del = await call('DELETE', base, { token: ADMIN_TOKEN });
    expect(del.status).toBe(500);
    expect(del.json).toEqual({
      errcode: 'M_UNKNOWN',
      error: 'The token set in the config file cannot be revoked. Edit the config file to change it.',
    });
    await http.setTuwunelVersion('1.9.0');
    expect((await call('PUT', base, { token: ADMIN_TOKEN, body: { uses_allowed: 1 } })).status).toBe(403);
    expect((await call('DELETE', base, { token: ADMIN_TOKEN })).status).toBe(403);
    expect((await call('GET', base, { token: ADMIN_TOKEN })).json).toEqual({
      token: CONFIG_TOKEN,
      uses_allowed: null,
      pending: 0,
      completed: 0,
      expiry_time: null,
    });
  });

  it('is not routed by Traefik unless the labels ask for it (matrix-docker-ansible-deploy labels.j2)', async () => {
    await restartWith({ labels: renderedLabels({ serverName: SERVER, synapseAdminApiRouted: false }) });
    const res = await call('GET', '/_synapse/admin/v1/server_version');
    expect(res.status).toBe(404);
    expect(res.text).toBe('404 page not found\n');
    expect((await call('GET', '/_tuwunel/server_version')).status).toBe(200);
    await restartWith({ labels: renderedLabels({ serverName: SERVER, synapseAdminApiRouted: true }) });
    expect((await call('GET', '/_synapse/admin/v1/server_version')).json).toEqual({
      server_version: '1.9.0',
    });
  });
});

describe('the admin room', () => {
  it('logs every event to admin-room.jsonl: creation, the first admin, commands and replies', async () => {
    await http.setTuwunelVersion('1.9.0');
    const log = await roomLog();
    expect(log.slice(0, 2)).toEqual([
      { type: 'm.room.create', sender: `@conduit:${SERVER}`, state_key: '', content: { room_version: '11' } },
      {
        type: 'm.room.member',
        sender: `@conduit:${SERVER}`,
        state_key: `@conduit:${SERVER}`,
        content: { membership: 'join', displayname: 'conduit' },
      },
    ]);
    await sendCommand('users make-user-admin @alice:lab.test');
    const reply = await answer('users make-user-admin @alice:lab.test');
    expect(reply.content.body).toBe('@alice:lab.test has been granted admin privileges.');
    const after = await roomLog();
    expect(
      after.find(
        (e) =>
          e.type === 'm.room.message' && e.content.body === '!admin users make-user-admin @alice:lab.test',
      ),
    ).toEqual({
      type: 'm.room.message',
      sender: ADMIN,
      content: { msgtype: 'm.text', body: '!admin users make-user-admin @alice:lab.test' },
    });
    // service/admin/grant.rs: invited by the bot, joined, power level 100, before the reply.
    const grant = after
      .filter((e) => e.state_key === '@alice:lab.test')
      .map((e) => [e.sender, e.content.membership]);
    expect(grant).toEqual([
      [`@conduit:${SERVER}`, 'invite'],
      ['@alice:lab.test', 'join'],
    ]);
  });

  it('from 1.8.2 answers too long for one event as an uploaded m.file; 1.8.1 says it could not', async () => {
    const tokens = Array.from(
      { length: 1400 },
      (_, i) => `tok${String(i).padStart(13, '0')}\t-\t0\t0\t-`,
    ).join('\n');
    await writeFile(join(homeserverDir, 'state/tuwunel/tokens'), `${tokens}\n`);
    await http.setTuwunelVersion('1.8.2');
    await sendCommand('token list');
    const file = await answer('token list');
    // src/service/admin/attach.rs: admin-output-<secs>.md, text/markdown, its size.
    expect(file.content).toEqual({
      msgtype: 'm.file',
      body: expect.stringMatching(/^admin-output-\d+\.md$/),
      filename: file.content.body,
      url: expect.stringMatching(/^mxc:\/\/lab\.test\/[A-Za-z0-9]{32}$/),
      info: { mimetype: 'text/markdown', size: expect.any(Number) },
      'm.relates_to': { 'm.in_reply_to': { event_id: expect.any(String) } },
    });
    const media = await call(
      'GET',
      `/_matrix/client/v1/media/download/${String(file.content.url).slice('mxc://'.length)}`,
      {
        token: ADMIN_TOKEN,
      },
    );
    expect(media.headers['content-type']).toBe('text/markdown');
    expect(media.text).toMatch(/^Found 1401 registration tokens:\n- `c1c1/);
    expect(Buffer.byteLength(media.text)).toBe((file.content.info as { size: number }).size);
    // The legacy media path follows allow_legacy_media (the lab's env file turns it on).
    expect(
      (await call('GET', `/_matrix/media/v3/download/${String(file.content.url).slice('mxc://'.length)}`))
        .text,
    ).toBe(media.text);

    await http.setTuwunelVersion('1.8.1');
    await sendCommand('token list');
    const failed = await answer('token list');
    // src/service/admin/mod.rs handle_response_error at v1.8.1.
    expect(failed.content).toEqual({
      msgtype: 'm.text',
      body: 'Failed to build and append admin room PDU: "M_TOO_LARGE: PDU is larger than maximum of 65535 bytes"\n\nThe original admin command may have finished successfully, but we could not return the output.',
    });
    await writeFile(join(homeserverDir, 'state/tuwunel/tokens'), '');
  });

  it('before 1.8.0, an allowlist without the own server hides local messages from clients (tuwunel#489)', async () => {
    const withoutOwn = renderedTuwunelToml({ serverName: SERVER, registrationToken: CONFIG_TOKEN }).replace(
      /^allowed_remote_server_names_experimental = .*$/m,
      'allowed_remote_server_names_experimental = ["matrix.org"]',
    );
    await restartWith({ toml: withoutOwn });
    const visibleReplies = async () => {
      const messages = await call(
        'GET',
        `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`,
        {
          token: ADMIN_TOKEN,
        },
      );
      return messages.json.chunk.filter((e: { type: string }) => e.type === 'm.room.message').length;
    };
    await http.setTuwunelVersion('1.7.0');
    await sendCommand('server uptime');
    // Tuwunel still runs the command and answers; its clients never see either message.
    expect((await answer('server uptime')).content.body).toMatch(/^\d+\.\d+ \w+\.$/);
    expect(await visibleReplies()).toBe(0);
    const sync = await call('GET', '/_matrix/client/v3/sync', { token: ADMIN_TOKEN });
    expect(
      sync.json.rooms.join[roomId].timeline.events.filter(
        (e: { type: string }) => e.type === 'm.room.message',
      ),
    ).toEqual([]);
    await http.setTuwunelVersion('1.8.0');
    expect(await visibleReplies()).toBeGreaterThan(0);
    await restartWith({ toml: renderedTuwunelToml({ serverName: SERVER, registrationToken: CONFIG_TOKEN }) });
  });
});
