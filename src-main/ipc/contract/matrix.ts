import { z } from 'zod';
import { call, empty } from './call';

export const matrixInvoke = {
  /** Log in once with the admin's password (m.login.password); only the access token is kept, in the keychain. */
  'matrix.login': call(
    z.object({ userId: z.string().min(3).max(255), password: z.string().min(1).max(1024) }).strict(),
    z.object({ userId: z.string() }),
  ),
  /** Revoke the stored access token on the server and delete it. */
  'matrix.logout': call(empty, z.object({ revoked: z.boolean() })),
} as const;
