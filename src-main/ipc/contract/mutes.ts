import { z } from 'zod';
import { muteDuration, muteTarget, muteView } from '../../app/views/status-schema';
import { call } from './call';

export const mutesInvoke = {
  /** Mutes a check, a unit or the whole server for 1 h, 8 h or until it recovers; every process sees it. */
  'mutes.set': call(
    z.object({ target: muteTarget, duration: muteDuration }).strict(),
    z.object({ mute: muteView }),
  ),
  /** Ends a mute now (its key from the status snapshot's `mutes`). */
  'mutes.clear': call(
    z.object({ key: z.string().min(1).max(240) }).strict(),
    z.object({ cleared: z.boolean() }),
  ),
} as const;
