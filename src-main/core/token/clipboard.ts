import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ClipboardWhat, SETTINGS_LIMITS } from '../vocab';

/**
 * The clipboard as the core sees it. Adapters: Electron's (desktop/electron/clipboard.ts), the
 * command-line tools (cli/cli-clipboard.ts), and a recording one in the tests.
 */
export interface Clipboard {
  /** For messages, e.g. "xclip" or "the system clipboard". */
  readonly name: string;
  /** Whether `concealed: true` actually marks the content for clipboard managers on this system. */
  readonly concealable: boolean;
  writeText(text: string, options: { concealed: boolean }): Promise<void>;
  readText(): Promise<string>;
  clear(): Promise<void>;
}

export type { ClipboardWhat };

export interface CopyResult {
  /** Epoch ms of the clear, or null when the delay is "never". */
  clearsAt: number | null;
  /** Marked for clipboard managers and history (macOS concealed type, Windows history exclusion, KDE hint). */
  concealed: boolean;
}

export interface ClearedEvent {
  what: ClipboardWhat;
  /** false: the clipboard already held something else, which was left alone. */
  cleared: boolean;
}

/** Settings' range: 10 s … 5 min, or null for never. */
export const CLEAR_DELAY_MIN_SECONDS = SETTINGS_LIMITS.clipboardClearSeconds.min;
export const CLEAR_DELAY_MAX_SECONDS = SETTINGS_LIMITS.clipboardClearSeconds.max;
export const DEFAULT_CLEAR_DELAY_SECONDS = SETTINGS_LIMITS.clipboardClearSeconds.default;

export function clearDelayMs(seconds: number | null): number | null {
  if (seconds === null) return null;
  if (!Number.isFinite(seconds)) return DEFAULT_CLEAR_DELAY_SECONDS * 1000;
  return Math.round(Math.min(CLEAR_DELAY_MAX_SECONDS, Math.max(CLEAR_DELAY_MIN_SECONDS, seconds))) * 1000;
}

/**
 * What is needed to recognise a copied secret later without keeping it: a keyed hash under a key that
 * lives as long as the copy. Also what a detached process gets to clear the clipboard for the CLI.
 */
export interface SecretFingerprint {
  key: Buffer;
  digest: Buffer;
}

export function fingerprint(secret: string): SecretFingerprint {
  const key = randomBytes(32);
  return { key, digest: createHmac('sha256', key).update(secret, 'utf8').digest() };
}

export function matches(print: SecretFingerprint, text: string): boolean {
  const digest = createHmac('sha256', print.key).update(text, 'utf8').digest();
  return timingSafeEqual(digest, print.digest);
}

/** Clears the clipboard if it still holds the secret `print` recognises (Bitwarden's clear-if-unchanged). */
export async function clearIfUnchanged(clipboard: Clipboard, print: SecretFingerprint): Promise<boolean> {
  if (!matches(print, await clipboard.readText())) return false;
  await clipboard.clear();
  return true;
}

interface Pending {
  what: ClipboardWhat;
  print: SecretFingerprint;
  timer: NodeJS.Timeout | null;
}

/**
 * Puts secrets on the clipboard and takes them off again: after the delay, and on quit (clearNow), but
 * only while the clipboard still holds that very secret, so whatever the user copied since is left
 * alone. Only a keyed hash of the secret is kept.
 */
export class ClipboardGuard {
  private pending: Pending | null = null;
  private readonly listeners = new Set<(event: ClearedEvent) => void>();
  private readonly now: () => number;

  constructor(
    readonly clipboard: Clipboard,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  async copy(secret: string, what: ClipboardWhat, clearAfterMs: number | null): Promise<CopyResult> {
    this.cancelTimer();
    this.pending = null;
    await this.clipboard.writeText(secret, { concealed: true });
    const pending: Pending = { what, print: fingerprint(secret), timer: null };
    this.pending = pending;
    if (clearAfterMs === null) return { clearsAt: null, concealed: this.clipboard.concealable };
    pending.timer = setTimeout(() => {
      pending.timer = null;
      void this.settle(pending);
    }, clearAfterMs);
    return { clearsAt: this.now() + clearAfterMs, concealed: this.clipboard.concealable };
  }

  /** What the last copy left to clear, for handing to a process that outlives this one (the CLI). */
  get outstanding(): { what: ClipboardWhat; print: SecretFingerprint } | null {
    return this.pending ? { what: this.pending.what, print: this.pending.print } : null;
  }

  /** Clears now if the clipboard still holds the last secret (quit, profile switch). */
  async clearNow(): Promise<boolean> {
    const pending = this.pending;
    if (!pending) return false;
    this.cancelTimer();
    return this.settle(pending);
  }

  onCleared(listener: (event: ClearedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private cancelTimer(): void {
    if (this.pending?.timer) clearTimeout(this.pending.timer);
    if (this.pending) this.pending.timer = null;
  }

  private async settle(pending: Pending): Promise<boolean> {
    if (this.pending === pending) this.pending = null;
    let cleared = false;
    try {
      cleared = await clearIfUnchanged(this.clipboard, pending.print);
    } catch {
      cleared = false;
    }
    pending.print.key.fill(0);
    for (const listener of this.listeners) {
      try {
        listener({ what: pending.what, cleared });
      } catch {
        // A listener is UI; the clipboard was handled either way.
      }
    }
    return cleared;
  }
}
