import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { connect } from 'node:net';
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
import { createFaults } from '../../lab/faults';
import { setupHomeserver } from '../../lab/homeserver/setup-homeserver';
import { type HomeserverHttp, startHomeserverHttp } from '../../lab/https/homeserver-http';
import { markdownToHtml } from '../../lab/https/markdown';
import { makeLabTls } from '../../lab/tls';

// The lab's homeserver HTTPS side, with a real TLS client trusting the lab CA, over the lab's homeserver
// host (its real stand-ins: systemctl, tuwunel-admin) without the sshd, which these tests do not need.

const CACHE = join(process.cwd(), 'node_modules', '.cache', 'homeserver-tray-lab');
const ADDRESS = '127.0.0.77';
const SERVER = 'lab.test';
const ADMIN = '@admin:lab.test';
const ADMIN_PASSWORD = 'lab-admin-password';
const ADMIN_TOKEN = 'lab-admin-access-token-0123456789';
const CONFIG_TOKEN = 'c0'.repeat(32);

let labDir: string;
let homeserverDir: string;
let http: HomeserverHttp;
let ca: string;
let agent: Agent;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field.
  json: any;
  reusedSocket: boolean;
}

function call(method: string, url: string, opts: { token?: string; body?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = request(
      url,
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
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            reusedSocket: req.reusedSocket,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const pub = (path: string) => `${http.publicUrl}${path}`;

/** Processes started for this homeserver (a hanging command has exec'd into `tail`, so match its env). */
async function homeserverProcesses(): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  const marker = `LAB_HOST_DIR=${homeserverDir}\0`;
  const found: number[] = [];
  for (const pid of pids) {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (`${environ}\0`.includes(marker)) found.push(Number(pid));
  }
  return found;
}

function homeserverCommand(command: string, ...args: string[]) {
  return runCommand(join(homeserverDir, 'bin', command), args, {
    env: { ...process.env, LAB_HOST_DIR: homeserverDir },
  });
}

beforeAll(async () => {
  labDir = await mkdtemp(join(tmpdir(), 'lab-b-http-'));
  homeserverDir = join(labDir, 'homeserver');
  await setupHomeserver({
    hostDir: homeserverDir,
    cacheDir: CACHE,
    serverName: SERVER,
    tuwunelVersion: '1.7.0',
    sudoPassword: 'lab-sudo-password',
    units: DEFAULT_UNITS,
    users: [
      { userId: ADMIN, admin: true, deactivated: false, password: ADMIN_PASSWORD },
      { userId: `@bob:${SERVER}`, admin: false, deactivated: false },
    ],
  });
  await Promise.all([
    writeFile(
      join(homeserverDir, 'state/tuwunel/config/tuwunel.toml'),
      renderedTuwunelToml({ serverName: SERVER, registrationToken: CONFIG_TOKEN }),
    ),
    writeFile(
      join(homeserverDir, 'state/tuwunel/config/labels'),
      renderedLabels({ serverName: SERVER, synapseAdminApiRouted: true }),
    ),
    writeFile(join(homeserverDir, 'state/tuwunel/config/env'), LEGACY_MEDIA_ENVIRONMENT),
  ]);
  const tls = await makeLabTls({
    dir: join(labDir, 'client'),
    cacheDir: CACHE,
    address: ADDRESS,
    serverName: SERVER,
  });
  ca = await readFile(tls.caCertPath, 'utf8');
  agent = new Agent({ ca, keepAlive: true, maxSockets: 4 });
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
});

afterAll(async () => {
  agent?.destroy();
  await http?.stop();
  await rm(labDir, { recursive: true, force: true });
});

describe('lab TLS', () => {
  it('makes a CA once and a leaf for the IP and server name, fast when cached', async () => {
    const started = Date.now();
    const again = await makeLabTls({
      dir: join(labDir, 'client2'),
      cacheDir: CACHE,
      address: ADDRESS,
      serverName: SERVER,
    });
    expect(Date.now() - started).toBeLessThan(200);
    expect(await readFile(again.caCertPath, 'utf8')).toBe(ca);
    const text = await runCommand('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], {
      input: again.certPem,
    });
    expect(text.stdout).toContain(`IP Address:${ADDRESS}`);
    expect(text.stdout).toContain(`DNS:${SERVER}`);
    const verify = await runCommand('openssl', ['verify', '-CAfile', again.caCertPath], {
      input: again.certPem,
    });
    expect(verify.stdout.trim()).toBe('stdin: OK');
  });

  it('is trusted only through the lab CA', async () => {
    const untrusted = new Agent({ keepAlive: false });
    try {
      const failure = await new Promise<NodeJS.ErrnoException>((resolve) => {
        request(pub('/_matrix/client/versions'), { agent: untrusted }, () => resolve(new Error('no error')))
          .on('error', resolve)
          .end();
      });
      expect(failure.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    } finally {
      untrusted.destroy();
    }
    expect((await call('GET', pub('/_matrix/client/versions'))).status).toBe(200);
  });
});

describe('well-known and versions', () => {
  it('serves the apex well-known files delegating to the public host, and nothing else there', async () => {
    const port = new URL(http.publicUrl).port;
    const server = await call('GET', `${http.apexUrl}/.well-known/matrix/server`);
    expect(server.status).toBe(200);
    expect(server.headers['access-control-allow-origin']).toBe('*');
    expect(server.json).toEqual({ 'm.server': `${ADDRESS}:${port}` });
    const client = await call('GET', `${http.apexUrl}/.well-known/matrix/client`);
    expect(client.json).toEqual({
      'm.homeserver': { base_url: http.publicUrl },
      'org.matrix.msc4143.rtc_foci': [
        { type: 'livekit', livekit_service_url: `${http.publicUrl}/livekit-jwt-service` },
      ],
    });
    expect((await call('GET', `${http.apexUrl}/_matrix/client/versions`)).status).toBe(404);
    expect(http.apexUrl).not.toBe(http.publicUrl);
  });

  it('answers versions like Tuwunel 1.7.0, keeping the connection alive', async () => {
    const versions = await call('GET', pub('/_matrix/client/versions'));
    expect(versions.json.server).toMatchObject({ name: 'Tuwunel', version: '1.7.0' });
    expect(versions.json.versions).toContain('v1.15');
    expect(versions.json.versions).not.toContain('v1.16');
    expect(Object.keys(versions.json.unstable_features)).toEqual(
      Object.keys(versions.json.unstable_features).sort(),
    );
    const federation = await call('GET', pub('/_matrix/federation/v1/version'));
    expect(federation.json).toEqual({
      server: { name: 'Tuwunel', version: '1.7.0', compiler: expect.stringMatching(/^rustc 1\.94\.0 /) },
    });
    expect(federation.reusedSocket).toBe(true);
    expect((await call('GET', pub('/_tuwunel/server_version'))).json).toEqual({
      name: 'Tuwunel',
      version: '1.7.0',
    });
  });

  it('has no Synapse admin API before 1.8.1 (404 M_UNRECOGNIZED even with a valid token)', async () => {
    for (const path of ['/_synapse/admin/v1/server_version', '/_synapse/admin/v1/registration_tokens']) {
      const res = await call('GET', pub(path), { token: ADMIN_TOKEN });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ errcode: 'M_UNRECOGNIZED', error: 'M_UNRECOGNIZED: Not Found' });
    }
  });

  it('changes version at runtime and writes state/tuwunel/version', async () => {
    await http.setTuwunelVersion('1.9.0');
    expect(await readFile(join(homeserverDir, 'state/tuwunel/version'), 'utf8')).toBe('1.9.0\n');
    expect((await call('GET', pub('/_matrix/federation/v1/version'))).json.server.version).toBe('1.9.0');
    expect((await call('GET', pub('/_synapse/admin/v1/server_version'))).json).toEqual({
      server_version: '1.9.0',
    });
    const versions = await call('GET', pub('/_matrix/client/versions'));
    expect(versions.json.versions).toContain('v1.19');
    expect(versions.json.unstable_features['org.matrix.msc4143']).toBe(true);
  });

  it('answers 502 for everything but well-known while matrix-tuwunel is stopped', async () => {
    expect((await homeserverCommand('systemctl', 'stop', 'matrix-*')).exitCode).toBe(0);
    try {
      const down = await call('GET', pub('/_matrix/client/versions'));
      expect(down.status).toBe(502);
      expect(down.text).toBe('');
      expect((await call('POST', pub('/_matrix/client/v3/login'), { body: {} })).status).toBe(502);
      expect((await call('GET', pub('/livekit-jwt-service/healthz'))).status).toBe(502);
      expect((await call('GET', pub('/.well-known/matrix/client'))).status).toBe(200);
      expect((await call('GET', `${http.apexUrl}/.well-known/matrix/server`)).status).toBe(200);
    } finally {
      expect((await homeserverCommand('systemctl', 'start', 'matrix-*')).exitCode).toBe(0);
    }
    expect((await call('GET', pub('/_matrix/client/versions'))).status).toBe(200);
    expect((await call('GET', pub('/livekit-jwt-service/healthz'))).status).toBe(200);
  });

  it('answers unknown routes and methods like Tuwunel', async () => {
    // Tuwunel's Request errors carry their errcode in the message too (src/core/error/mod.rs message()).
    expect((await call('GET', pub('/_matrix/client/v3/nope'))).json).toEqual({
      errcode: 'M_UNRECOGNIZED',
      error: 'M_UNRECOGNIZED: Not Found',
    });
    const wrongMethod = await call('DELETE', pub('/_matrix/client/versions'));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json).toEqual({
      errcode: 'M_UNRECOGNIZED',
      error: 'M_UNRECOGNIZED: Method Not Allowed',
    });
  });
});

describe('registration tokens (Synapse admin API, Tuwunel ≥ 1.8.1)', () => {
  const base = '/_synapse/admin/v1/registration_tokens';

  it('wants a bearer token of an admin', async () => {
    expect((await call('GET', pub(base))).json).toEqual({
      errcode: 'M_MISSING_TOKEN',
      error: 'M_MISSING_TOKEN: Missing access token.',
    });
    const unknown = await call('GET', pub(base), { token: 'nope' });
    expect(unknown.status).toBe(401);
    expect(unknown.json).toEqual({
      errcode: 'M_UNKNOWN_TOKEN',
      error: 'M_UNKNOWN_TOKEN: Unknown access token.',
    });
  });

  it('creates, reads, updates, lists and deletes tokens in the state the admin commands share', async () => {
    const created = await call('POST', pub(`${base}/new`), { token: ADMIN_TOKEN, body: { uses_allowed: 1 } });
    expect(created.status).toBe(200);
    expect(created.json).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9]{16}$/),
      uses_allowed: 1,
      pending: 0,
      completed: 0,
      expiry_time: null,
    });
    const t = created.json.token as string;
    const listed = await homeserverCommand('tuwunel-admin', 'token list');
    expect(listed.stdout).toContain(`\`${t}\``);

    const updated = await call('PUT', pub(`${base}/${t}`), {
      token: ADMIN_TOKEN,
      body: { uses_allowed: null, expiry_time: 4102444800000 },
    });
    expect(updated.json).toEqual({
      token: t,
      uses_allowed: null,
      pending: 0,
      completed: 0,
      expiry_time: 4102444800000,
    });
    expect((await call('GET', pub(`${base}/${t}`), { token: ADMIN_TOKEN })).json).toEqual(updated.json);

    const duplicate = await call('POST', pub(`${base}/new`), { token: ADMIN_TOKEN, body: { token: t } });
    expect(duplicate.status).toBe(400);
    expect(duplicate.json).toEqual({
      errcode: 'M_INVALID_PARAM',
      error: 'M_INVALID_PARAM: Registration token already exists',
    });

    const list = await call('GET', pub(base), { token: ADMIN_TOKEN });
    expect(list.json.registration_tokens).toEqual([
      { token: CONFIG_TOKEN, uses_allowed: null, pending: 0, completed: 0, expiry_time: null },
      updated.json,
    ]);
    expect((await call('GET', pub(`${base}?valid=false`), { token: ADMIN_TOKEN })).json).toEqual({
      registration_tokens: [],
    });

    expect((await call('DELETE', pub(`${base}/${t}`), { token: ADMIN_TOKEN })).json).toEqual({});
    const gone = await call('GET', pub(`${base}/${t}`), { token: ADMIN_TOKEN });
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ errcode: 'M_NOT_FOUND', error: 'M_NOT_FOUND: Registration token not found' });
  });

  it('refuses to change or delete the config file’s token (1.9.0: 403)', async () => {
    const put = await call('PUT', pub(`${base}/${CONFIG_TOKEN}`), {
      token: ADMIN_TOKEN,
      body: { uses_allowed: 3 },
    });
    expect(put.status).toBe(403);
    // src/api/client/admin/tokens/update.rs at v1.9.0.
    expect(put.json).toEqual({
      errcode: 'M_FORBIDDEN',
      error: "M_FORBIDDEN: Tokens set in the config file can't be updated",
    });
    const del = await call('DELETE', pub(`${base}/${CONFIG_TOKEN}`), { token: ADMIN_TOKEN });
    expect(del.status).toBe(403);
    expect(del.json.error).toBe(
      'M_FORBIDDEN: The token set in the config file cannot be revoked. Edit the config file to change it.',
    );
  });

  it('rejects bodies that are not JSON or have wrong types', async () => {
    const bad = await call('POST', pub(`${base}/new`), { token: ADMIN_TOKEN, body: { uses_allowed: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.json.errcode).toBe('M_BAD_JSON');
  });
});

describe('client-server API and the admin room', () => {
  let token: string;
  let roomId: string;

  it('logs in with m.login.password and refuses a wrong password', async () => {
    const wrong = await call('POST', pub('/_matrix/client/v3/login'), {
      body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'admin' }, password: 'nope' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toEqual({ errcode: 'M_FORBIDDEN', error: 'M_FORBIDDEN: Wrong username or password.' });
    const login = await call('POST', pub('/_matrix/client/v3/login'), {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: ADMIN },
        password: ADMIN_PASSWORD,
        initial_device_display_name: 'Homeserver Tray',
      },
    });
    expect(login.status).toBe(200);
    expect(login.json).toEqual({
      user_id: ADMIN,
      access_token: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      home_server: SERVER,
      device_id: expect.stringMatching(/^[A-Za-z0-9]{10}$/),
    });
    token = login.json.access_token;
    const whoami = await call('GET', pub('/_matrix/client/v3/account/whoami'), { token });
    expect(whoami.json).toEqual({ user_id: ADMIN, device_id: login.json.device_id });
  });

  it('resolves #admins to the admin room', async () => {
    const res = await call(
      'GET',
      pub(`/_matrix/client/v3/directory/room/${encodeURIComponent(`#admins:${SERVER}`)}`),
    );
    expect(res.json).toEqual({
      room_id: expect.stringMatching(/^![A-Za-z0-9]{18}:lab\.test$/),
      servers: [SERVER],
    });
    roomId = res.json.room_id;
    const other = await call(
      'GET',
      pub(`/_matrix/client/v3/directory/room/${encodeURIComponent('#nope:lab.test')}`),
    );
    expect(other.status).toBe(404);
    expect(other.json).toEqual({ errcode: 'M_NOT_FOUND', error: 'M_NOT_FOUND: Room with alias not found.' });
  });

  it('runs an !admin command and the bot replies with an m.notice in reply to it, seen by /sync', async () => {
    const initial = await call('GET', pub('/_matrix/client/v3/sync'), { token });
    const since = initial.json.next_batch as string;
    expect(initial.json.rooms.join[roomId].timeline.events.at(-1)).toMatchObject({
      sender: `@conduit:${SERVER}`,
      content: { msgtype: 'm.text', body: expect.stringContaining('Thank you for trying out tuwunel!') },
    });
    const sendPath = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/txn-1`;
    const sent = await call('PUT', pub(sendPath), {
      token,
      body: { msgtype: 'm.text', body: `!admin users make-user-admin @bob:${SERVER}` },
    });
    expect(sent.json).toEqual({ event_id: expect.stringMatching(/^\$[A-Za-z0-9_-]{43}$/) });
    const again = await call('PUT', pub(sendPath), { token, body: { msgtype: 'm.text', body: 'ignored' } });
    expect(again.json.event_id).toBe(sent.json.event_id);

    type Event = { type: string; sender: string; state_key?: string; content: Record<string, unknown> };
    let reply: Event | undefined;
    const seen: Event[] = [];
    let next = since;
    for (let i = 0; i < 5 && !reply; i++) {
      const sync = await call('GET', pub(`/_matrix/client/v3/sync?since=${next}&timeout=10000`), { token });
      next = sync.json.next_batch;
      const events: Event[] = sync.json.rooms?.join?.[roomId]?.timeline.events ?? [];
      seen.push(...events);
      reply = events.find((e) => e.sender === `@conduit:${SERVER}` && e.content.msgtype === 'm.notice');
      const own = (events as (Event & { event_id?: string; unsigned?: unknown })[]).find(
        (e) => e.event_id === sent.json.event_id,
      );
      if (own) expect(own.unsigned).toEqual({ transaction_id: 'txn-1' });
    }
    // The grant (src/service/admin/grant.rs) joins Bob to the admin room before the bot answers.
    expect(seen.filter((e) => e.state_key === `@bob:${SERVER}`).map((e) => e.content.membership)).toEqual([
      'invite',
      'join',
    ]);
    expect(reply?.content).toEqual({
      msgtype: 'm.notice',
      body: `@bob:${SERVER} has been granted admin privileges.`,
      'm.relates_to': { 'm.in_reply_to': { event_id: sent.json.event_id } },
    });
    expect(
      (await readFile(join(homeserverDir, 'state/tuwunel/users'), 'utf8'))
        .split('\n')
        .find((l) => l.startsWith(`@bob:${SERVER}\t`)),
    ).toMatch(/^@bob:lab\.test\t1\t0\t/);
  });

  it('answers token issue with Markdown, readable backwards through /messages', async () => {
    const sent = await call(
      'PUT',
      pub(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/txn-2`),
      {
        token,
        body: { msgtype: 'm.text', body: '!admin token issue --max-uses 1' },
      },
    );
    let reply: { content: Record<string, string> } | undefined;
    for (let i = 0; i < 50 && !reply; i++) {
      const messages = await call(
        'GET',
        pub(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=5`),
        { token },
      );
      expect(messages.json.start).toBe('18446744073709551615');
      reply = messages.json.chunk.find(
        (e: { content: { 'm.relates_to'?: { 'm.in_reply_to'?: { event_id?: string } } } }) =>
          e.content['m.relates_to']?.['m.in_reply_to']?.event_id === sent.json.event_id,
      );
      if (!reply) await new Promise((r) => setTimeout(r, 100));
    }
    const body = reply?.content.body ?? '';
    const issued = body.match(
      /^New registration token issued: `([A-Za-z0-9]{16})` - Token used 0 times\. Expires after 1 uses\.$/,
    );
    expect(issued).not.toBeNull();
    expect(reply?.content.formatted_body).toBe(
      `New registration token issued: <code>${issued?.[1]}</code> - Token used 0 times. Expires after 1 uses.`,
    );
    expect(reply?.content.format).toBe('org.matrix.custom.html');
    const list = await call('GET', pub('/_synapse/admin/v1/registration_tokens'), { token });
    expect(list.json.registration_tokens.map((t: { token: string }) => t.token)).toContain(issued?.[1]);
  });

  it('queues commands behind a hanging one, as Tuwunel’s single admin worker does', async () => {
    const send = (txn: string, body: string) =>
      call('PUT', pub(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn}`), {
        token,
        body: { msgtype: 'm.text', body },
      });
    // The next admin command hangs (the admin room hands the stand-in its command on stdin).
    createFaults({ homeserver: homeserverDir, deploy: homeserverDir }).hang(
      'homeserver',
      'tuwunel-admin*',
      1,
    );
    await send('txn-3', '!admin rooms list');
    const after = await send('txn-4', '!admin server uptime');
    await new Promise((r) => setTimeout(r, 700));
    const messages = await call(
      'GET',
      pub(`/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=3`),
      { token },
    );
    expect(messages.json.chunk[0].event_id).toBe(after.json.event_id);
    expect(await homeserverProcesses()).toHaveLength(1);
  });

  it('logs out: the token is then unknown', async () => {
    expect((await call('POST', pub('/_matrix/client/v3/logout'), { token, body: {} })).json).toEqual({});
    const res = await call('GET', pub('/_matrix/client/v3/account/whoami'), { token });
    expect(res.status).toBe(401);
    expect(res.json.errcode).toBe('M_UNKNOWN_TOKEN');
  });
});

describe('Markdown of admin replies (ruma’s notice_markdown)', () => {
  it('gives plain text no HTML and strips the paragraph of inline-only Markdown', () => {
    expect(markdownToHtml('@bob:lab.test has been granted admin privileges.')).toBeUndefined();
    expect(markdownToHtml('a `b` & <c>')).toBe('a <code>b</code> &amp; &lt;c&gt;');
  });

  it('renders blocks as pulldown-cmark does', () => {
    expect(markdownToHtml('Command failed with error:\n```\nM_FORBIDDEN: no\n```')).toBe(
      '<p>Command failed with error:</p>\n<pre><code>M_FORBIDDEN: no\n</code></pre>\n',
    );
    expect(markdownToHtml('Found 2 registration tokens:\n- `a` --- x\n- `b` --- y\n')).toBe(
      '<p>Found 2 registration tokens:</p>\n<ul>\n<li><code>a</code> --- x</li>\n<li><code>b</code> --- y</li>\n</ul>\n',
    );
    expect(markdownToHtml('## Hi\n\n> one\n> two')).toBe(
      '<h2>Hi</h2>\n<blockquote>\n<p>one<br />\ntwo</p>\n</blockquote>\n',
    );
  });
});

describe('stop', () => {
  it('closes both ports and kills a hanging admin command', async () => {
    const ports = [new URL(http.publicUrl).port, new URL(http.apexUrl).port].map(Number);
    await http.stop();
    for (const port of ports) {
      const refused = await new Promise<string>((resolve) => {
        const socket = connect(port, ADDRESS);
        socket.on('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      expect(refused).toBe('ECONNREFUSED');
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(await homeserverProcesses()).toEqual([]);
  });
});
