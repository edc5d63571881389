import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AdminReplyTooLong,
  findBotReply,
  MAX_PAGE_EVENTS,
  MAX_REPLY_PARTS,
} from '../../../../src-main/core/matrix/admin-room';
import { sweep } from '../../../support/sweep';

/** Samples per property. */
const numRuns = sweep(500);

const BOT = { userId: '@conduit:lab.test', alias: '#admins:lab.test' };
const COMMAND = '$command';
/** Few ids, so pages repeat them: events that answer themselves, each other, or the command. */
const ids = fc.constantFrom(COMMAND, '$a', '$b', '$c', '$d', '');

const relation = fc.oneof(
  fc.record({ 'm.in_reply_to': fc.record({ event_id: fc.oneof(ids, fc.anything()) }) }),
  fc.record({ rel_type: fc.constant('m.thread'), event_id: fc.oneof(ids, fc.anything()) }),
  fc.anything(),
);

/** Events as a hostile server might send them: mostly well-formed, with any value where one is read. */
const event = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        type: fc.oneof(fc.constant('m.room.message'), fc.anything()),
        sender: fc.oneof(fc.constant(BOT.userId), fc.constant('@mallory:lab.test'), fc.anything()),
        event_id: fc.oneof(ids, fc.anything()),
        content: fc.oneof(
          fc.record(
            { body: fc.oneof(fc.string(), fc.anything()), 'm.relates_to': relation },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.anything() },
);

describe('findBotReply over any page a server sends', () => {
  it('ends, reads each event once, and answers with the bot’s parts or none', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (chunk) => {
        let reply: ReturnType<typeof findBotReply>;
        try {
          reply = findBotReply(chunk, COMMAND, BOT);
        } catch (e) {
          expect(e).toBeInstanceOf(AdminReplyTooLong);
          return;
        }
        if (reply === null) return;
        expect(reply.replyEventIds.length).toBeGreaterThan(0);
        expect(reply.replyEventIds.length).toBeLessThanOrEqual(MAX_REPLY_PARTS);
        expect(new Set(reply.replyEventIds).size).toBe(reply.replyEventIds.length);
        expect(typeof reply.body).toBe('string');
      }),
      { numRuns },
    );
  });

  it('reads no more than a page’s worth of events, whatever the server sends', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 * MAX_PAGE_EVENTS }), (extra) => {
        const reply = {
          type: 'm.room.message',
          sender: BOT.userId,
          event_id: '$reply',
          content: { body: 'ok', 'm.relates_to': { 'm.in_reply_to': { event_id: COMMAND } } },
        };
        const filler = Array.from({ length: extra }, (_, i) => ({
          ...reply,
          event_id: `$f${i}`,
          content: {},
        }));
        // Newest first: the reply is read only while it is among the first MAX_PAGE_EVENTS.
        const found = findBotReply([...filler, reply], COMMAND, BOT);
        expect(found === null).toBe(extra >= MAX_PAGE_EVENTS);
      }),
      { numRuns: sweep(50) },
    );
  });
});
