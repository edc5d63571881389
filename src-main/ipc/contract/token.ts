import { z } from 'zod';
import { id, time } from '../../app/views/common-schema';
import { confirmationToken } from '../../app/views/run-schema';
import { clipboardWhat } from '../../app/views/secret-schema';
import { call, empty } from './call';

export const tokenInvoke = {
  /**
   * The registration token goes to the clipboard in the main process; null clearsAt = never cleared.
   * `notLive`: the sentence to show when the vault's token is a rotation Tuwunel does not accept yet.
   */
  'token.copy': call(empty, z.object({ clearsAt: time.nullable(), notLive: z.string().nullable() })),
  /** The only channel that carries the token: for one 10 s display in the window, then forgotten. */
  'token.reveal': call(empty, z.object({ token: z.string(), hideAt: time })),
  /**
   * The vault rotation transaction as a run (steps, output, rollback offer); `confirmation` is the one
   * actions.plan issued for token.rotate with the same `apply`.
   */
  'token.rotate': call(
    z.object({ apply: z.boolean(), confirmation: confirmationToken.nullable() }).strict(),
    z.object({ runId: id }),
  ),
  /** Restore the vault from the backup a failed rotation kept (before push). */
  'token.rollback': call(z.object({ runId: id }).strict(), z.object({ runId: id })),
} as const;

export const tokenEvents = {
  /** The reveal window is over: every window drops the token now, whatever its own timer says. */
  'token.revealExpired': z.object({}),
} as const;

export const clipboardEvents = {
  /** The clear delay passed; `cleared` false when the clipboard already held something else. */
  'clipboard.cleared': z.object({ what: clipboardWhat, cleared: z.boolean() }),
} as const;
