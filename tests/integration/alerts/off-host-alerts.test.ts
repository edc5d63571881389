import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  channelViews,
  deleteChannelSecret,
  sendChannelTest,
  setChannelSecret,
} from '../../../src-main/app/alert-channels';
import type { AlertEventLike } from '../../../src-main/core/alerts/alert-message';
import type { AlertChannel } from '../../../src-main/core/alerts/channel-schema';
import { channelSecretRef } from '../../../src-main/core/alerts/channel-secrets';
import { AlertDispatcher, type ChannelProblem } from '../../../src-main/core/alerts/dispatcher';
import { createKeytarSecretStore } from '../../../src-main/core/secrets/keytar-store';
import { writeOnlySecretStore } from '../../../src-main/core/secrets/write-only';
import { type Keyring, startKeyring } from '../../lab/keyring';
import { type Receiver, startReceiver } from '../../lab/receiver';

/**
 * The off-host channels against the lab receiver (an ntfy server's JSON publishing, a webhook receiver, a Matrix
 * client-server endpoint, all on loopback) with their secrets in a real gnome-keyring on a private D-Bus.
 */

const NTFY_TOKEN = 'tk_lab0ntfy0token0abcdefghijklm';
const HOOK_SECRET = 'lab-hook-secret-7f3a';
const MATRIX_TOKEN = 'syt_YWxlcnRz_lab_matrix_token';
const ROOM = '!alerts:other.example';

let dir: string;
let keyring: Keyring;
let rx: Receiver;
const keychain = createKeytarSecretStore();

function channels(base: string): { ntfy: AlertChannel; hook: AlertChannel; matrix: AlertChannel } {
  return {
    ntfy: {
      id: 'phone',
      name: 'Phone (ntfy)',
      type: 'ntfy',
      enabled: true,
      events: ['down', 'still-down', 'recovered'],
      serverUrl: `${base}/ntfy`,
      topic: 'hstray-lab',
      useAccessToken: true,
    },
    hook: {
      id: 'hook',
      name: 'Ops webhook',
      type: 'webhook',
      enabled: true,
      events: ['down', 'recovered'],
      url: `${base}/hook/alerts`,
      secretHeader: 'X-Alert-Secret',
    },
    matrix: {
      id: 'room',
      name: 'Family room',
      type: 'matrix',
      enabled: true,
      events: ['down', 'still-down', 'recovered'],
      homeserverUrl: `${base}/matrix`,
      roomId: ROOM,
    },
  };
}

const down: AlertEventLike = {
  kind: 'down',
  at: '2026-12-01T10:00:00.000Z',
  check: {
    id: 'http:federation-version',
    title: 'Federation API',
    host: 'public',
    detail: 'The federation API answers 502; start matrix-tuwunel.',
  },
};
const recovered: AlertEventLike = { ...down, kind: 'recovered', at: '2026-12-01T10:05:00.000Z' };

async function storeSecret(channel: AlertChannel, value: string): Promise<void> {
  const ref = channelSecretRef(channel);
  if (!ref) throw new Error(`${channel.id} takes no secret`);
  await keychain.set(ref, value);
}

function dispatcher(list: AlertChannel[]): AlertDispatcher {
  return new AlertDispatcher({
    channels: () => list,
    secrets: keychain,
    now: () => Date.parse('2026-12-01T10:00:01.000Z'),
    txnId: (() => {
      let n = 0;
      return () => `txn-${++n}`;
    })(),
    retryDelayMs: 10,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'off-host-alerts-'));
  keyring = await startKeyring(join(dir, 'keyring'));
  process.env.DBUS_SESSION_BUS_ADDRESS = keyring.env.DBUS_SESSION_BUS_ADDRESS;
});

afterAll(async () => {
  await keyring?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await rx?.close();
  rx = await startReceiver({
    ntfyTokens: { 'hstray-lab': NTFY_TOKEN },
    hookSecret: { header: 'X-Alert-Secret', value: HOOK_SECRET },
    matrix: { token: MATRIX_TOKEN, joinedRooms: [ROOM], userId: '@alerts:other.example' },
  });
  const c = channels(rx.url);
  await storeSecret(c.ntfy, NTFY_TOKEN);
  await storeSecret(c.hook, HOOK_SECRET);
  await storeSecret(c.matrix, MATRIX_TOKEN);
});

afterAll(async () => {
  await rx?.close();
});

describe('off-host alert channels, delivered to the lab receiver', () => {
  it('publishes a down alert to ntfy as JSON with the access token from the keychain', async () => {
    const c = channels(rx.url);
    const result = await dispatcher([c.ntfy]).notify('lab.test', [down]);
    expect(result).toEqual([{ channelId: 'phone', ok: true }]);
    const [req] = rx.requests('ntfy');
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/');
    expect(req?.headers.authorization).toBe(`Bearer ${NTFY_TOKEN}`);
    expect(req?.json).toEqual({
      topic: 'hstray-lab',
      title: 'lab.test: Federation API is down',
      message: 'The federation API answers 502; start matrix-tuwunel.',
      priority: 5,
      tags: ['rotating_light'],
    });
  });

  it('posts the webhook JSON with the header secret, and only the events the channel takes', async () => {
    const c = channels(rx.url);
    const d = dispatcher([c.hook]);
    const still: AlertEventLike = { ...down, kind: 'still-down' };
    expect(await d.notify('lab.test', [still])).toEqual([]);
    expect(rx.requests('hook')).toHaveLength(0);
    expect(await d.notify('lab.test', [down, still])).toEqual([{ channelId: 'hook', ok: true }]);
    const [req] = rx.requests('hook');
    expect(req?.headers['x-alert-secret']).toBe(HOOK_SECRET);
    expect(req?.json).toEqual({
      source: 'homeserver-tray',
      version: 1,
      event: 'down',
      server: 'lab.test',
      title: 'lab.test: Federation API is down',
      text: 'The federation API answers 502; start matrix-tuwunel.',
      urgent: true,
      at: '2026-12-01T10:00:01.000Z',
      alerts: [{ kind: 'down', at: down.at, check: down.check }],
    });
  });

  it('sends into the Matrix room on another server with the channel token, as m.text', async () => {
    const c = channels(rx.url);
    expect(await dispatcher([c.matrix]).notify('lab.test', [recovered])).toEqual([
      { channelId: 'room', ok: true },
    ]);
    const [req] = rx.requests('matrix');
    expect(req?.method).toBe('PUT');
    expect(req?.path).toBe(`/_matrix/client/v3/rooms/${encodeURIComponent(ROOM)}/send/m.room.message/txn-1`);
    expect(req?.headers.authorization).toBe(`Bearer ${MATRIX_TOKEN}`);
    expect(req?.json).toMatchObject({
      msgtype: 'm.text',
      body: 'lab.test: Federation API recovered\nThe federation API answers 502; start matrix-tuwunel.',
    });
  });

  it('"send test" reaches each kind of channel, enabled or not', async () => {
    const c = channels(rx.url);
    const d = dispatcher([]);
    for (const ch of [c.ntfy, c.hook, { ...c.matrix, enabled: false }]) {
      expect(await d.sendTest('lab.test', ch)).toEqual({ channelId: ch.id, ok: true });
    }
    expect(rx.requests().map((r) => r.endpoint)).toEqual(['ntfy', 'hook', 'matrix']);
    expect(rx.requests('ntfy')[0]?.json).toMatchObject({
      title: 'lab.test: test alert',
      tags: ['test_tube'],
    });
    expect(rx.requests('hook')[0]?.json).toMatchObject({ event: 'test', alerts: [] });
  });

  it('reports a failing channel once, to the listeners and to the channels that work, until it delivers again', async () => {
    const c = channels(rx.url);
    const d = dispatcher([c.ntfy, c.hook]);
    const problems: ChannelProblem[] = [];
    d.onChannelProblem((p) => problems.push(p));
    rx.setFault('ntfy', { status: 500 });

    const first = await d.notify('lab.test', [down]);
    expect(first.find((r) => r.channelId === 'phone')).toMatchObject({
      ok: false,
      error: { code: 'AlertChannelFailed' },
    });
    // A 5xx is retried once, then given up.
    expect(rx.requests('ntfy')).toHaveLength(2);
    expect(problems.map((p) => [p.kind, p.channelId])).toEqual([['failed', 'phone']]);
    expect(problems[0]?.error?.message).toBe(
      'The alert channel "Phone (ntfy)" could not deliver: the ntfy server answered 500 (internal server error).',
    );
    const hookBodies = rx.requests('hook').map((r) => r.json as { event: string; title: string });
    expect(hookBodies.map((b) => b.event)).toEqual(['down', 'channel-failed']);
    expect(hookBodies[1]?.title).toBe('lab.test: alert channel "Phone (ntfy)" fails');

    await d.notify('lab.test', [down]);
    expect(problems).toHaveLength(1);
    expect(
      rx.requests('hook').filter((r) => (r.json as { event: string }).event === 'channel-failed'),
    ).toHaveLength(1);

    rx.setFault('ntfy', null);
    expect(await d.notify('lab.test', [recovered])).toEqual([
      { channelId: 'phone', ok: true },
      { channelId: 'hook', ok: true },
    ]);
    expect(problems.map((p) => p.kind)).toEqual(['failed', 'works-again']);
  });

  it('retries a transient 5xx once and delivers', async () => {
    const c = channels(rx.url);
    rx.setFault('matrix', { status: 502, times: 1 });
    expect(await dispatcher([c.matrix]).notify('lab.test', [down])).toEqual([
      { channelId: 'room', ok: true },
    ]);
    const puts = rx.requests('matrix');
    expect(puts).toHaveLength(2);
    // The same transaction id: the homeserver drops a duplicate if the first one did arrive.
    expect(puts[0]?.path).toBe(puts[1]?.path);
  });

  it('says what the Matrix homeserver refused: not in the room, unknown token', async () => {
    const c = channels(rx.url);
    const elsewhere = { ...c.matrix, roomId: '!other:other.example' } as AlertChannel;
    await storeSecret(elsewhere, MATRIX_TOKEN);
    const [forbidden] = await dispatcher([elsewhere]).notify('lab.test', [down]);
    expect(forbidden?.error?.message).toBe(
      'The alert channel "Family room" could not deliver: the account may not post in !other:other.example (M_FORBIDDEN: User @alerts:other.example not in room !other:other.example).',
    );
    expect(forbidden?.error?.nextStep).toMatch(/^Invite the alert account to the room/);

    await storeSecret(c.matrix, 'syt_revoked');
    const [unknown] = await dispatcher([c.matrix]).notify('lab.test', [down]);
    expect(unknown?.error?.message).toContain(
      'did not accept the access token (M_UNKNOWN_TOKEN: Unknown access token.)',
    );
  });

  it("refuses a wrong ntfy token with ntfy's own error, and never shows the secret", async () => {
    const c = channels(rx.url);
    await storeSecret(c.ntfy, 'tk_wrong_token_value_000000000');
    const [r] = await dispatcher([c.ntfy]).notify('lab.test', [down]);
    expect(r?.error?.message).toBe(
      'The alert channel "Phone (ntfy)" could not deliver: the ntfy server refused to publish to "hstray-lab" (forbidden).',
    );
    expect(JSON.stringify(r)).not.toContain('tk_wrong_token_value');
  });

  it("sends nothing when the secret is missing, or bound to the channel's old address", async () => {
    const c = channels(rx.url);
    const moved = { ...c.hook, url: `${rx.url}/hook/moved` } as AlertChannel;
    const [r] = await dispatcher([moved]).notify('lab.test', [down]);
    expect(r).toMatchObject({ ok: false, error: { code: 'AlertChannelFailed' } });
    expect(r?.error?.message).toBe(
      'The alert channel "Ops webhook" could not deliver: its header secret is not in the keychain.',
    );
    expect(rx.requests()).toHaveLength(0);
  });

  it('does not follow a redirect with the secret on it', async () => {
    const c = channels(rx.url);
    rx.setFault('hook', { status: 307 });
    const [r] = await dispatcher([c.hook]).notify('lab.test', [down]);
    expect(r?.error?.message).toContain('answered with a redirect (307)');
    expect(rx.requests('hook')).toHaveLength(1);
  });

  it('stores a channel secret write-only, and warns of a channel that goes through a watched server', async () => {
    const c = channels(rx.url);
    const store = writeOnlySecretStore(keychain);
    const hookB = { ...c.hook, id: 'hook-b' } as AlertChannel;
    expect(await channelViews([hookB], store, [])).toEqual([
      { channel: hookB, secretKind: 'webhook-secret', secretStored: false, warning: null },
    ]);
    expect(await setChannelSecret(store, hookB, HOOK_SECRET)).toEqual({ stored: true });
    expect((await channelViews([hookB], store, []))[0]?.secretStored).toBe(true);
    expect(await sendChannelTest(dispatcher([]), 'lab.test', hookB)).toEqual({
      channelId: 'hook-b',
      ok: true,
    });
    expect(await deleteChannelSecret(store, hookB)).toEqual({ deleted: true });
    await expect(
      setChannelSecret(store, { ...c.ntfy, useAccessToken: false } as AlertChannel, 'x'),
    ).rejects.toMatchObject({
      code: 'InvalidInput',
    });

    const ownRoom = {
      ...c.matrix,
      homeserverUrl: 'https://matrix.lab.test',
      roomId: '!a:lab.test',
    } as AlertChannel;
    const [view] = await channelViews([ownRoom], store, [
      { serverName: 'lab.test', publicUrl: 'https://matrix.lab.test' },
    ]);
    expect(view?.warning).toBe(
      'This Matrix room goes through lab.test, a server it watches: when that server is down, its alerts cannot arrive. Use one hosted elsewhere.',
    );
  });

  it('gives up on a channel that cannot be reached, once retried', async () => {
    const c = channels(rx.url);
    await rx.close();
    const [r] = await dispatcher([c.hook]).notify('lab.test', [down]);
    expect(r?.error?.message).toMatch(/could not be reached \(ECONNREFUSED/);
  });
});
