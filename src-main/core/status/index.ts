/** The status core's public face: what app.ts, the CLI, the tray and the IPC router use. */
export { applyMaintenance, type Maintenance, overallLevel } from './aggregate';
export {
  type AlertKind,
  type AlertPhase,
  type AlertPolicyConfig,
  type AlertState,
  stepAlert,
} from './alert-policy';
export { type Clock, systemClock } from './clock';
export { createHttpsGetter, type HttpGetter, type HttpOutcome } from './https-client';
export { formatStatusTable, sinceText, statusExitCode } from './report';
export {
  type AlertEvent,
  type HostStatus,
  type SchedulerSettings,
  type StatusListener,
  StatusScheduler,
  type StatusSnapshot,
  schedulerSettings,
} from './scheduler';
export {
  type FreshResult,
  type HostOutcome,
  type RefreshOptions,
  type RefreshOutcome,
  StatusService,
  type StatusServiceOptions,
  type StatusSource,
} from './service';
export { oneSentence } from './text';
export {
  CHECK_HOSTS,
  type CheckHost,
  type CheckResult,
  checkHostSchema,
  checkResultSchema,
  LEVELS,
  type Level,
  levelRank,
  levelSchema,
  worstLevel,
} from './types';
