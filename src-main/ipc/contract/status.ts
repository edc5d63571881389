import { z } from 'zod';
import { statusSnapshot } from '../../app/views/status-schema';
import { call, empty } from './call';

export const statusInvoke = {
  'status.get': call(empty, statusSnapshot),
  'status.refresh': call(empty, statusSnapshot),
  /** Every watched server, in the store's order (the server switcher); each snapshot names its profileId. */
  'status.all': call(empty, z.object({ servers: z.array(statusSnapshot) })),
} as const;

/** status.changed comes for every watched server: the window shows the one whose profileId is selected. */
export const statusEvents = {
  'status.changed': statusSnapshot,
} as const;
