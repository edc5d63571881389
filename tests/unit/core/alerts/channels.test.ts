import { describe, expect, it } from 'vitest';
import { alertMessage } from '../../../../src-main/core/alerts/alert-message';
import { alertChannelSchema, webhookChannelSchema } from '../../../../src-main/core/alerts/channel-schema';
import { channelSecretRef } from '../../../../src-main/core/alerts/channel-secrets';
import { matrixRequest, ntfyRequest, refusal } from '../../../../src-main/core/alerts/senders';
import { keychainRef } from '../../../../src-main/core/secrets/profile-secrets';
import { settingsSchema } from '../../../../src-main/core/settings/schema';

const base = { id: 'phone', name: 'Phone', enabled: true, events: ['down', 'recovered'] };
const ntfy = {
  ...base,
  type: 'ntfy',
  serverUrl: 'https://ntfy.sh',
  topic: 'hstray-alerts',
  useAccessToken: false,
};

function problem(value: unknown): string | undefined {
  const r = alertChannelSchema.safeParse(value);
  return r.success ? undefined : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

describe('alert channel settings', () => {
  it('takes https anywhere and plain http only to this computer', () => {
    expect(problem(ntfy)).toBeUndefined();
    expect(problem({ ...ntfy, serverUrl: 'http://127.0.0.1:8080' })).toBeUndefined();
    expect(problem({ ...ntfy, serverUrl: 'http://ntfy.lan' })).toMatch(/must start with https:\/\//);
    expect(problem({ ...ntfy, serverUrl: 'https://user:pw@ntfy.sh' })).toMatch(/user name or password/);
    expect(problem({ ...ntfy, serverUrl: 'https://ntfy.sh/?x=1' })).toMatch(/query or fragment/);
  });

  it('checks the ntfy topic, the header name and the room ID grammar', () => {
    expect(problem({ ...ntfy, topic: 'a/b' })).toMatch(/^topic:/);
    const hook = { ...base, type: 'webhook', url: 'https://hooks.example/x', secretHeader: 'Bad Header' };
    expect(problem(hook)).toMatch(/HTTP header name/);
    expect(problem({ ...hook, secretHeader: 'Authorization' })).toBeUndefined();
    const room = {
      ...base,
      type: 'matrix',
      homeserverUrl: 'https://matrix.other.example',
      roomId: '#alias:x.y',
    };
    expect(problem(room)).toMatch(/room ID/);
    expect(problem({ ...room, roomId: '!abc:other.example' })).toBeUndefined();
    expect(problem({ ...room, roomId: '!abc:bad host' })).toMatch(/room ID/);
  });

  it('refuses two channels with one id in the settings', () => {
    const r = settingsSchema.shape.alertChannels.safeParse([ntfy, { ...ntfy, name: 'Other' }]);
    expect(r.success).toBe(false);
  });

  it('binds a channel secret to the channel and its destination, never to a profile', () => {
    const hook = webhookChannelSchema.parse({
      ...base,
      type: 'webhook',
      url: 'https://hooks.example/x',
      secretHeader: 'X-Secret',
    });
    const ref = channelSecretRef(hook);
    expect(ref).toEqual({
      profile: '@alert-channels',
      kind: 'webhook-secret',
      host: 'phone https://hooks.example/x header X-Secret',
    });
    expect(channelSecretRef({ ...hook, url: 'https://hooks.example/y' })?.host).not.toBe(ref?.host);
    expect(channelSecretRef({ ...hook, secretHeader: null })).toBeNull();
    const identity = {
      uid: 'p-12345678',
      profile: {
        name: 'lab',
        serverName: 'lab.test',
        publicUrl: 'https://matrix.lab.test',
        hosts: {} as never,
      },
    };
    expect(() => keychainRef(identity, { profile: 'lab', kind: 'webhook-secret' })).toThrow(
      /belongs to an alert channel, not to a profile/,
    );
  });
});

describe('alert messages and what goes over the wire', () => {
  const event = (kind: 'down' | 'recovered' | 'still-down', title: string) => ({
    kind,
    at: '2026-12-01T10:00:00.000Z',
    check: { id: title, title, host: 'public' as const, detail: `${title} detail.` },
  });

  it('names one check, or counts several with the worst first in the title', () => {
    expect(alertMessage('lab.test', [], 'now')).toBeNull();
    expect(alertMessage('lab.test', [event('recovered', 'Client API')], 'now')).toMatchObject({
      kind: 'recovered',
      title: 'lab.test: Client API recovered',
      urgent: false,
    });
    const many = alertMessage(
      'lab.test',
      [event('recovered', 'A'), event('down', 'B'), event('still-down', 'C')],
      'now',
    );
    expect(many).toMatchObject({
      kind: 'down',
      title: 'lab.test: 1 down, 1 still down, 1 recovered',
      urgent: true,
    });
    expect(many?.text.split('\n')).toEqual([
      'A recovered: A detail.',
      'B is down: B detail.',
      'C is still down: C detail.',
    ]);
  });

  it('publishes to the ntfy root without a token unless the channel has one', () => {
    const msg = alertMessage('lab.test', [event('down', 'A')], 'now');
    if (!msg) throw new Error('no message');
    const channel = alertChannelSchema.parse({ ...ntfy, serverUrl: 'https://ntfy.example/' });
    if (channel.type !== 'ntfy') throw new Error('not ntfy');
    const req = ntfyRequest(channel, msg, null);
    expect(req.url).toBe('https://ntfy.example/');
    expect(req.headers?.Authorization).toBeUndefined();
    expect(ntfyRequest(channel, msg, 'tk_x').headers?.Authorization).toBe('Bearer tk_x');
  });

  it('escapes the Matrix HTML body and encodes the room in the path', () => {
    const msg = alertMessage('lab.test', [event('down', '<b>x</b>')], 'now');
    const channel = alertChannelSchema.parse({
      ...base,
      type: 'matrix',
      homeserverUrl: 'https://m.other.example/',
      roomId: '!r:other.example',
    });
    if (!msg || channel.type !== 'matrix') throw new Error('setup');
    const req = matrixRequest(channel, msg, 'tok', 't 1');
    expect(req.url).toBe(
      'https://m.other.example/_matrix/client/v3/rooms/!r%3Aother.example/send/m.room.message/t%201',
    );
    expect(JSON.parse(req.body ?? '{}').formatted_body).toContain('&#60;b&#62;x&#60;/b&#62;');
  });

  it('reads refusals: 2xx is delivery, ntfy and Matrix errors become sentences', () => {
    const channel = alertChannelSchema.parse(ntfy);
    expect(refusal(channel, { status: 200, headers: {}, body: '{}' })).toBeNull();
    expect(
      refusal(channel, {
        status: 429,
        headers: {},
        body: '{"code":42901,"http":429,"error":"limit reached"}',
      }),
    ).toMatchObject({ reason: 'the ntfy server limits requests (limit reached)' });
    expect(refusal(channel, { status: 500, headers: {}, body: 'not json \u0007' })?.reason).toBe(
      'the ntfy server answered 500 (HTTP 500)',
    );
  });
});
