import { z } from 'zod';
import { errorInfo, id } from '../../app/views/common-schema';
import { logLine } from '../../app/views/run-schema';
import { call } from './call';

export const logsInvoke = {
  /** `journalctl -fu <unit>` (the catalog's logs.follow); lines arrive as logs.lines events, not run events. */
  'logs.follow': call(z.object({ unit: z.string().min(1).max(256) }).strict(), z.object({ streamId: id })),
  'logs.stop': call(z.object({ streamId: id }).strict(), z.object({ stopped: z.boolean() })),
} as const;

export const logsEvents = {
  'logs.lines': z.object({ streamId: id, lines: z.array(logLine) }),
  /** The stream stopped: by logs.stop (error null) or because the connection failed. */
  'logs.ended': z.object({ streamId: id, error: errorInfo.nullable() }),
} as const;
