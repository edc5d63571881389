import { z } from 'zod';
import { id } from '../../app/views/common-schema';
import { muteDuration, muteTarget, muteView } from '../../app/views/status-schema';
import { call } from './call';

/** Mutes are per server: the profile the window shows (absent: the selected one). */
const profileId = id.optional();

export const mutesInvoke = {
  /** Mutes a check, a unit or the whole server for 1 h, 8 h or until it recovers; every process sees it. */
  'mutes.set': call(
    z.object({ target: muteTarget, duration: muteDuration, profileId }).strict(),
    z.object({ mute: muteView }),
  ),
  /** Ends a mute now (its key from the status snapshot's `mutes`). */
  'mutes.clear': call(
    z.object({ key: z.string().min(1).max(240), profileId }).strict(),
    z.object({ cleared: z.boolean() }),
  ),
} as const;
