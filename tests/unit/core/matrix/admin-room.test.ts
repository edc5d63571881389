import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Cancelled, Timeout } from '../../../../src-main/core/errors';
import {
  AdminCommandRefused,
  AdminReplyTooLong,
  AdminRoomClient,
  commandName,
  MatrixRequestFailed,
} from '../../../../src-main/core/matrix/admin-room';

const TOKEN = 'syt_admin_token';
const ROOM = '!adminroom:lab.test';

interface FakeRoom {
  events: Record<string, unknown>[];
  /** What /messages answers instead of the events, when a test makes the server hostile. */
  page?: () => unknown;
  /** What sending answers instead of the event id, when a test makes the server hostile. */
  sent?: (eventId: string) => unknown;
  /** What the bot answers to a command body; null: no answer. */
  answer: (body: string, eventId: string) => Record<string, unknown>[] | null;
  requests: { method: string; url: string; auth: string | undefined }[];
}

/** A homeserver speaking the client-server API shapes Tuwunel serves for the admin room. */
async function serve(room: FakeRoom): Promise<{ url: string; server: Server }> {
  let n = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      room.requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
      const send = (status: number, json: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        send(401, { errcode: 'M_UNKNOWN_TOKEN', error: 'Unknown access token.' });
        return;
      }
      const url = req.url ?? '';
      if (url === '/_matrix/client/v3/directory/room/%23admins%3Alab.test') {
        send(200, { room_id: ROOM, servers: ['lab.test'] });
      } else if (
        req.method === 'PUT' &&
        url.startsWith(`/_matrix/client/v3/rooms/${encodeURIComponent(ROOM)}/send/m.room.message/`)
      ) {
        const content = JSON.parse(body) as { body: string };
        const eventId = `$cmd${++n}`;
        room.events.push({ type: 'm.room.message', sender: '@admin:lab.test', event_id: eventId, content });
        const replies = room.answer(content.body, eventId);
        if (replies) setTimeout(() => room.events.push(...replies), 50);
        send(200, room.sent ? room.sent(eventId) : { event_id: eventId });
      } else if (url.startsWith(`/_matrix/client/v3/rooms/${encodeURIComponent(ROOM)}/messages?dir=b`)) {
        send(200, room.page ? room.page() : { chunk: [...room.events].reverse(), start: 's1', end: 's0' });
      } else {
        send(404, { errcode: 'M_NOT_FOUND', error: 'Not found' });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const notice = (id: string, replyTo: string, body: string, sender = '@conduit:lab.test') => ({
  type: 'm.room.message',
  sender,
  event_id: id,
  content: { msgtype: 'm.notice', body, 'm.relates_to': { 'm.in_reply_to': { event_id: replyTo } } },
});

let server: Server | null = null;
afterEach(async () => {
  await new Promise((r) => server?.close(r));
  server = null;
});

async function client(room: FakeRoom) {
  const s = await serve(room);
  server = s.server;
  return new AdminRoomClient({ baseUrl: s.url, serverName: 'lab.test', pollIntervalMs: 20 });
}

describe('AdminRoomClient', () => {
  it('sends !admin …, and reads the bot notice that replies to that very message', async () => {
    const room: FakeRoom = {
      events: [notice('$old', '$earlier', '@x:lab.test has been granted admin privileges.')],
      requests: [],
      answer: (body, id) => [
        notice('$other', '$someone-else', 'unrelated'),
        notice('$fake', id, 'not from the bot', '@mallory:lab.test'),
        notice(`$r-${id}`, id, `@bob:lab.test has been granted admin privileges. (${body})`),
      ],
    };
    const c = await client(room);
    const reply = await c.run(TOKEN, 'users make-user-admin @bob:lab.test', { timeoutMs: 5000 });
    expect(reply.body).toBe(
      '@bob:lab.test has been granted admin privileges. (!admin users make-user-admin @bob:lab.test)',
    );
    expect(reply.roomId).toBe(ROOM);
    expect(reply.replyEventIds).toEqual([`$r-${reply.commandEventId}`]);
    expect(room.requests.every((r) => r.auth === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('joins a long reply split into chained segments, and thread replies', async () => {
    const room: FakeRoom = {
      events: [],
      requests: [],
      answer: (_body, id) => [
        notice('$s1', id, 'part 1'),
        notice('$s2', '$s1', 'part 2'),
        notice('$s3', '$s2', 'part 3'),
      ],
    };
    const c = await client(room);
    expect((await c.run(TOKEN, '!admin users list', { timeoutMs: 5000 })).body).toBe(
      'part 1\npart 2\npart 3',
    );
    room.answer = (_b, id) => [
      {
        type: 'm.room.message',
        sender: '@conduit:lab.test',
        event_id: '$t1',
        content: {
          msgtype: 'm.notice',
          body: 'threaded',
          'm.relates_to': { rel_type: 'm.thread', event_id: id },
        },
      },
    ];
    expect((await c.run(TOKEN, 'server uptime', { timeoutMs: 5000 })).body).toBe('threaded');
  });

  it('gives up after the timeout when the bot never answers, and can be cancelled', async () => {
    const c = await client({ events: [], requests: [], answer: () => null });
    await expect(c.run(TOKEN, 'rooms info !x:lab.test', { timeoutMs: 300 })).rejects.toBeInstanceOf(Timeout);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    await expect(
      c.run(TOKEN, 'server uptime', { timeoutMs: 5000, signal: abort.signal }),
    ).rejects.toBeInstanceOf(Cancelled);
  });

  it('names the command without its arguments when it times out or is cancelled: a token revoke carries a live token', async () => {
    const c = await client({ events: [], requests: [], answer: () => null });
    const live = 'Zq8LiveInviteTokenZq8';
    const timedOut = await c.run(TOKEN, `token revoke ${live}`, { timeoutMs: 300, expectsToken: true }).then(
      () => new Error('no timeout'),
      (e: Error) => e,
    );
    expect(timedOut).toBeInstanceOf(Timeout);
    expect(timedOut.message).toBe(
      'Waiting for the admin bot\'s reply to "!admin token revoke" did not finish within 0 s and was stopped.',
    );
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const cancelled = await c
      .run(TOKEN, `!admin token revoke ${live}`, {
        timeoutMs: 5000,
        signal: abort.signal,
        expectsToken: true,
      })
      .then(
        () => new Error('no timeout'),
        (e: Error) => e,
      );
    expect(cancelled).toBeInstanceOf(Cancelled);
    expect(`${timedOut.message} ${cancelled.message}`).not.toContain(live);
    expect(commandName('!admin users make-user-admin @bob:lab.test')).toBe('!admin users make-user-admin');
    expect(commandName('  token issue --max-uses 1')).toBe('!admin token issue');
    expect(commandName('!admin server uptime')).toBe('!admin server uptime');
  });

  it('turns a refused token into a typed error with a next step, never showing the token', async () => {
    const c = await client({ events: [], requests: [], answer: () => null });
    const error = await c.run('wrong-token', 'server uptime', { timeoutMs: 2000 }).catch((e) => e);
    expect(error).toBeInstanceOf(MatrixRequestFailed);
    expect(error.message).toBe(
      'Resolving #admins:lab.test failed: the homeserver answered 401 M_UNKNOWN_TOKEN (Unknown access token.).',
    );
    expect(error.nextStep).toMatch(/Log in again/);
    expect(JSON.stringify(error)).not.toContain('wrong-token');
  });
});

describe('what the room keeps: the transport refuses for every caller', () => {
  it('never sends a command that lists all rooms or every token; a token command only from the invite commands', async () => {
    const room: FakeRoom = {
      events: [],
      requests: [],
      answer: (_body, id) => [notice(`$r-${id}`, id, 'Token revoked successfully.')],
    };
    const c = await client(room);
    for (const command of ['rooms list', '!admin  rooms list 2', 'token list', 'TOKEN LIST']) {
      const error = await c.run(TOKEN, command, { timeoutMs: 2000 }).catch((e) => e);
      expect(error, command).toBeInstanceOf(AdminCommandRefused);
    }
    const issue = await c.run(TOKEN, 'token issue --once', { timeoutMs: 2000 }).catch((e) => e);
    expect(issue).toBeInstanceOf(AdminCommandRefused);
    expect(issue.nextStep).toMatch(/invite/);
    expect(room.requests).toEqual([]);
    // The invite commands say they expect a token; then it goes, and only then.
    const revoked = await c.run(TOKEN, 'token revoke AAAAbbbbCCCCdddd', {
      timeoutMs: 2000,
      expectsToken: true,
    });
    expect(revoked.body).toBe('Token revoked successfully.');
    expect(room.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});

/**
 * A homeserver that relates the bot's replies in ways Tuwunel never does. Before the fix, a reply whose
 * event id repeated the id it answered made the reply loop spin until V8 aborted the process.
 */
describe('AdminRoomClient against a hostile admin room', () => {
  it('reads a reply that answers itself once: its event id is the id of the command it answers', async () => {
    const room: FakeRoom = { events: [], requests: [], answer: (_b, id) => [notice(id, id, 'echo')] };
    const c = await client(room);
    const reply = await c.run(TOKEN, 'server uptime', { timeoutMs: 5000 });
    expect(reply).toMatchObject({ body: 'echo', replyEventIds: [reply.commandEventId] });
  });

  it('reads each part once when a part answers itself or an earlier part', async () => {
    const room: FakeRoom = {
      events: [],
      requests: [],
      answer: (_b, id) => [
        notice('$p1', id, 'part 1'),
        notice('$p2', '$p1', 'part 2'),
        notice('$p2', '$p2', 'same id again'),
        notice('$p3', '$p3', 'answers itself'),
        notice('$p1', '$p2', 'part 1 again, answering part 2'),
      ],
    };
    const c = await client(room);
    const reply = await c.run(TOKEN, 'server uptime', { timeoutMs: 5000 });
    expect(reply.replyEventIds).toEqual(['$p1', '$p2']);
    expect(reply.body).toBe('part 1\npart 2');
  });

  it('gives up on a chain of more than 64 parts with a sentence and where to read it', async () => {
    const room: FakeRoom = {
      events: [],
      requests: [],
      answer: (_b, id) =>
        Array.from({ length: 70 }, (_, i) => notice(`$s${i}`, i === 0 ? id : `$s${i - 1}`, `part ${i}`)),
    };
    const c = await client(room);
    const error = await c.run(TOKEN, 'users list', { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdminReplyTooLong);
    expect((error as AdminReplyTooLong).message).toBe(
      "The admin bot's reply has more than 64 parts, so the app stopped reading it.",
    );
    expect((error as AdminReplyTooLong).nextStep).toBe(
      'Read the reply in #admins:lab.test with a Matrix client.',
    );
  });

  it('skips events of any other shape and reads at most 100 of a page, so a flood cannot hide a reply', async () => {
    const junk = [42, 'text', null, [], { event_id: {} }, { type: 'm.room.message', content: 'x' }];
    let commandId = '';
    const room: FakeRoom = {
      events: [],
      requests: [],
      answer: (_b, id) => {
        commandId = id;
        return null;
      },
      page: () => ({
        chunk: [
          notice('$r', commandId, 'the answer'),
          ...junk,
          { ...notice('$odd', commandId, 'x'), content: { body: { toString: 1 }, 'm.relates_to': 7 } },
          ...Array.from({ length: 20_000 }, (_, i) => notice(`$flood${i}`, commandId, `flood ${i}`)),
        ],
      }),
    };
    const c = await client(room);
    const reply = await c.run(TOKEN, 'server uptime', { timeoutMs: 5000 });
    // The page is newest first: the oldest reply among the 100 events read is the first part.
    expect(reply.replyEventIds[0]).toMatch(/^\$flood\d+$/);
    expect(reply.replyEventIds).not.toContain('$flood99');
  });

  it('treats a page without a list of events as no reply yet, and times out with a sentence', async () => {
    const room: FakeRoom = { events: [], requests: [], answer: () => null, page: () => ({ chunk: 'nope' }) };
    const c = await client(room);
    await expect(c.run(TOKEN, 'server uptime', { timeoutMs: 300 })).rejects.toBeInstanceOf(Timeout);
  });

  it('refuses a send answer whose event id is not text', async () => {
    const room: FakeRoom = {
      events: [],
      requests: [],
      answer: () => null,
      sent: () => ({ event_id: { toString: 1 } }),
    };
    const c = await client(room);
    const error = await c.run(TOKEN, 'server uptime', { timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MatrixRequestFailed);
    expect((error as Error).message).toBe(
      'Sending the command to #admins:lab.test failed: the homeserver answered 200 (no event_id).',
    );
  });
});
