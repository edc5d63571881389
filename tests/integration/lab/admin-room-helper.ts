import type { AdminRoomLogEvent, Lab } from '../../lab/types';
import { eventually } from './ssh-helpers';

const SERVER = 'lab.test';

/** `!admin <command>` in the admin room as the lab's admin; the bot's reply to it. */
export async function admin(lab: Lab, command: string): Promise<Record<string, unknown>> {
  const roomId = (
    await lab.client.request(
      'GET',
      `/_matrix/client/v3/directory/room/${encodeURIComponent(`#admins:${SERVER}`)}`,
    )
  ).json.room_id as string;
  const sent = await lab.client.request(
    'PUT',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t${Date.now()}${Math.random()}`,
    { token: lab.secrets.adminAccessToken, body: { msgtype: 'm.text', body: `!admin ${command}` } },
  );
  const eventId = sent.json.event_id;
  if (typeof eventId !== 'string')
    throw new Error(`Sending ${command} failed: ${sent.status} ${JSON.stringify(sent.json)}`);
  let reply: AdminRoomLogEvent | undefined;
  await eventually(
    () => {
      reply = lab
        .adminRoomLog()
        .find(
          (e) =>
            (e.content['m.relates_to'] as { 'm.in_reply_to'?: { event_id?: string } } | undefined)?.[
              'm.in_reply_to'
            ]?.event_id === eventId,
        );
      return reply !== undefined;
    },
    `the reply to ${command}`,
    15_000,
  );
  return reply!.content;
}
