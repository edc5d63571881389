import { z } from 'zod';
import { settings } from '../../app/views/profile-schema';
import { call, empty } from './call';

export const settingsInvoke = {
  'settings.get': call(empty, settings),
  'settings.set': call(z.object({ patch: settings.partial() }).strict(), settings),
} as const;

export const settingsEvents = {
  'settings.changed': settings,
} as const;
