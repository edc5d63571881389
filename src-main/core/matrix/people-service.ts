import { type ClipboardGuard, type CopyResult, clearDelayMs } from '../token/clipboard';
import { generatePassword, type PeopleClient, typedPassword } from './people';

/**
 * The window's and the tray's side of a password reset: the new password is made (or taken as typed) here,
 * set through the admin API, and put on the clipboard with the registration token's clear-if-unchanged rule.
 * It is never returned to a caller, printed, logged or audited.
 */
export class PeopleService {
  constructor(
    private readonly options: {
      client: PeopleClient;
      guard: ClipboardGuard;
      clearDelaySeconds: () => number | null;
    },
  ) {}

  get client(): PeopleClient {
    return this.options.client;
  }

  async resetPassword(
    user: string,
    options: { password?: string | null; signOut: boolean },
  ): Promise<CopyResult & { generated: boolean }> {
    const generated = !options.password;
    const password = options.password ? typedPassword(options.password) : generatePassword();
    await this.options.client.resetPassword(user, password, { signOut: options.signOut });
    const copied = await this.options.guard.copy(
      password,
      'password',
      clearDelayMs(this.options.clearDelaySeconds()),
    );
    return { ...copied, generated };
  }
}
