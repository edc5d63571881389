import { z } from 'zod';
import { id } from '../../app/views/common-schema';
import { appInfo } from '../../app/views/profile-schema';
import { PANELS } from '../../core/vocab';
import { call, empty } from './call';

export const panel = z.enum(PANELS);
export type Panel = z.infer<typeof panel>;

/** Where the desktop front asks the window to go (a notification or a tray item was clicked). */
export const navigateTarget = z.object({
  panel,
  runId: id.optional(),
  checkId: id.optional(),
  actionId: id.optional(),
  unit: z.string().optional(),
  /** Within the People panel: the invite form, the password reset, or the server notice. */
  focus: z.enum(['invite', 'reset-password', 'notice']).optional(),
});
export type NavigateTarget = z.infer<typeof navigateTarget>;

/** Only https URLs; the main process also checks its host allowlist. */
export const httpsUrl = z
  .string()
  .max(2048)
  .refine((u) => {
    try {
      return new URL(u).protocol === 'https:';
    } catch {
      return false;
    }
  }, 'must be an https:// URL');

export const appInvoke = {
  'app.info': call(empty, appInfo),
  'app.openExternal': call(z.object({ url: httpsUrl }).strict(), z.object({ opened: z.boolean() })),
} as const;

export const appEvents = {
  /** A notification or the tray asked to show something. */
  'app.navigate': navigateTarget,
} as const;
