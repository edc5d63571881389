import { z } from 'zod';
import { id } from '../../app/views/common-schema';
import { checkHistory, historyRange, historySummary, incidentTimeline } from '../../app/views/history-schema';
import { call } from './call';

/** The server whose history is asked for: the profile the window shows (absent: the selected one). */
const profileId = id.optional();

export const historyInvoke = {
  /** The dashboard's charts: the server's uptime strip, availability per check, response-time sparklines. */
  'history.summary': call(z.object({ range: historyRange, profileId }).strict(), historySummary),
  /** One check's uptime strip and response times. */
  'history.check': call(z.object({ check: id, range: historyRange, profileId }).strict(), checkHistory),
  /** Incidents of the last `days` days, with the actions run meanwhile and the gaps. */
  'history.incidents': call(
    z.object({ days: z.number().int().min(1).max(90), profileId }).strict(),
    incidentTimeline,
  ),
} as const;
