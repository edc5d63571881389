import { z } from 'zod';
import { InvalidInput } from '../errors';
import { serverNameProblem } from '../lib/grammar';
import { matrixError } from './admin-api';
import { MatrixRequestFailed } from './admin-room';
import { type HttpRequest, type HttpResponse, request } from './http';

/**
 * Inviting a new member into the family room or space after they registered with an invite: the admin's own
 * client-API invite (`POST /_matrix/client/v3/rooms/{roomId}/invite`, every Tuwunel release), so it works
 * without the admin API and shows in the room as the admin's invite, like one sent from Element.
 */

/** A room alias (`#family:example.org`) or room ID (`!opaque:example.org`, or `!opaque` from room v12), checked. */
export function roomRef(input: string): string {
  const s = input.trim();
  if (s.length > 255) throw new InvalidInput('room', 'is longer than 255 characters');
  const alias = /^#([^:\s]+):(.+)$/.exec(s);
  if (alias) {
    // The spec allows almost any character in an alias; a family room's is plain, and a room ID works for the rest.
    if (!/^[A-Za-z0-9._=+/-]+$/.test(alias[1] as string))
      throw new InvalidInput(
        'room',
        'has characters other than letters, digits and . _ = + / - in its name (use the room ID instead)',
      );
    const problem = serverNameProblem(alias[2] as string);
    if (problem) throw new InvalidInput('room', `has a server name that ${problem}`);
    return s;
  }
  if (/^![A-Za-z0-9._~+/=-]+(:[^\s]+)?$/.test(s)) {
    const server = s.includes(':') ? s.slice(s.indexOf(':') + 1) : null;
    const problem = server === null ? null : serverNameProblem(server);
    if (problem) throw new InvalidInput('room', `has a server name that ${problem}`);
    return s;
  }
  throw new InvalidInput('room', 'is not a room alias (#family:example.org) or room ID (!abc…:example.org)');
}

const aliasSchema = z.object({ room_id: z.string().min(1).max(255) });

export interface RoomInviteOptions {
  baseUrl: string;
  accessToken: string;
  ca?: Buffer;
  timeoutMs: number;
  http?: (req: HttpRequest) => Promise<HttpResponse>;
}

async function call(
  o: RoomInviteOptions,
  method: 'GET' | 'POST',
  path: string,
  what: string,
  json?: unknown,
): Promise<unknown> {
  const res = await (o.http ?? request)({
    method,
    url: `${o.baseUrl.replace(/\/+$/, '')}${path}`,
    headers: { authorization: `Bearer ${o.accessToken}` },
    ...(json === undefined ? {} : { json }),
    ...(o.ca ? { ca: o.ca } : {}),
    timeoutMs: o.timeoutMs,
    label: what,
  });
  let data: unknown = null;
  try {
    data = JSON.parse(res.body);
  } catch {
    data = null;
  }
  if (res.status === 200) return data;
  const { errcode, error } = matrixError(data);
  throw new MatrixRequestFailed(what, res.status, errcode, error);
}

/** Invites `userId` into `room` (an alias is resolved first) as the signed-in admin. */
export async function inviteToRoom(o: RoomInviteOptions, room: string, userId: string): Promise<void> {
  let roomId = room;
  if (room.startsWith('#')) {
    const resolved = aliasSchema.safeParse(
      await call(
        o,
        'GET',
        `/_matrix/client/v3/directory/room/${encodeURIComponent(room)}`,
        `Resolving ${room}`,
      ),
    );
    if (!resolved.success)
      throw new MatrixRequestFailed(`Resolving ${room}`, 200, null, 'the answer names no room');
    roomId = resolved.data.room_id;
  }
  await call(
    o,
    'POST',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`,
    `Inviting ${userId} to ${room}`,
    { user_id: userId },
  );
}
