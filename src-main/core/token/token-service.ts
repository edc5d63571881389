import { type ActLog, recordAct } from '../lib/acts';
import type { Profile } from '../profile/schema';
import type { SecretStore } from '../secrets/types';
import { readRegistrationToken } from '../vault/vault-file';
import { type ClipboardGuard, type CopyResult, clearDelayMs } from './clipboard';

/** How long the window shows a revealed token before every window must forget it. */
export const REVEAL_MS = 10_000;

export interface RegistrationTokenServiceOptions {
  /** The selected profile (the app can switch). */
  profile: () => Profile;
  secrets: SecretStore;
  guard: ClipboardGuard;
  /** The setting: 10 … 300 s, or null for never. */
  clearDelaySeconds: () => number | null;
  revealMs?: number;
  now?: () => number;
  /** The audit trail: every copy and reveal is recorded (never the token). */
  acts?: ActLog;
}

/**
 * The registration token out of the vault, never into scrollback: copy puts it on the clipboard from the
 * main process and says when it will be cleared; reveal hands it out for one display. Neither logs,
 * stores, notifies or names it in an error; the vault is decrypted in memory for each call and wiped.
 */
export class RegistrationTokenService {
  private revealTimer: NodeJS.Timeout | null = null;
  private readonly revealListeners = new Set<() => void>();
  private readonly now: () => number;

  constructor(private readonly options: RegistrationTokenServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  async copy(): Promise<CopyResult> {
    return recordAct(
      this.options.acts,
      {
        action: 'token.copy',
        params: { to: 'clipboard' },
        done: (r) =>
          r.clearsAt === null
            ? 'Copied the registration token to the clipboard (never cleared, as set).'
            : `Copied the registration token to the clipboard, cleared at ${new Date(r.clearsAt).toISOString()} if unchanged.`,
      },
      async () => {
        const token = await readRegistrationToken(this.options.profile(), this.options.secrets);
        return this.options.guard.copy(
          token,
          'registration-token',
          clearDelayMs(this.options.clearDelaySeconds()),
        );
      },
    );
  }

  /** The token for one display; `hideAt` is when revealExpired fires and every window drops it. */
  async reveal(): Promise<{ token: string; hideAt: number }> {
    const ms = this.options.revealMs ?? REVEAL_MS;
    const token = await recordAct(
      this.options.acts,
      {
        action: 'token.reveal',
        params: { seconds: Math.round(ms / 1000) },
        done: () => `Showed the registration token in the window for ${Math.round(ms / 1000)} s.`,
      },
      () => readRegistrationToken(this.options.profile(), this.options.secrets),
    );
    if (this.revealTimer) clearTimeout(this.revealTimer);
    this.revealTimer = setTimeout(() => {
      this.revealTimer = null;
      for (const listener of this.revealListeners) {
        try {
          listener();
        } catch {
          // UI listeners only.
        }
      }
    }, ms);
    return { token, hideAt: this.now() + ms };
  }

  onRevealExpired(listener: () => void): () => void {
    this.revealListeners.add(listener);
    return () => this.revealListeners.delete(listener);
  }

  /** On quit: the clipboard is cleared if it still holds a token, and no reveal timer is left. */
  async dispose(): Promise<void> {
    if (this.revealTimer) clearTimeout(this.revealTimer);
    this.revealTimer = null;
    await this.options.guard.clearNow();
  }
}
