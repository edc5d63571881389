import { z } from 'zod';
import { hostKeyInfo, hostRole } from '../../app/views/common-schema';
import { call } from './call';

export const hostkeyInvoke = {
  /** Trust a host key: once (this session) or permanently (the app's own known_hosts). */
  'hostkey.trust': call(
    z
      .object({ host: hostRole, fingerprint: z.string().startsWith('SHA256:'), permanent: z.boolean() })
      .strict(),
    z.object({ trusted: z.boolean() }),
  ),
  /**
   * After HostKeyChanged, and only on an explicit request: removes the old pin from the app's own
   * known_hosts. Pins in the profile's known_hosts file are never touched; they are listed to remove by hand.
   */
  'hostkey.forget': call(
    z.object({ host: hostRole }).strict(),
    z.object({
      removed: z.number().int().nonnegative(),
      stillPinnedBy: z.array(
        z.object({ keyType: z.string(), fingerprint: z.string(), file: z.string(), line: z.number().int() }),
      ),
    }),
  ),
} as const;

export const hostkeyEvents = {
  /** A background connection (status poll) met an unknown host key. */
  'hostkey.prompt': hostKeyInfo,
} as const;
