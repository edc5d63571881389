import { statusSnapshot } from '../../app/views/status-schema';
import { call, empty } from './call';

export const statusInvoke = {
  'status.get': call(empty, statusSnapshot),
  'status.refresh': call(empty, statusSnapshot),
} as const;

export const statusEvents = {
  'status.changed': statusSnapshot,
} as const;
