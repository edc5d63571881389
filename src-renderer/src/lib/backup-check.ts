import type { HostRole, ProfileDraft } from '../../../src-main/ipc/contract';

/**
 * `checks.backup.command` is shell code from the profile that every status poll runs on a host, through
 * sudo (as root) when that host has `sudo: true`. A profile that brings such code — imported, pasted, or
 * edited — must not start running it unseen: saving asks first, showing the command as it will run.
 */
export interface BackupRun {
  command: string;
  host: HostRole;
  /** `user@address` of that host, when the draft says. */
  target: string | null;
  /** The SSH user it runs as when not through sudo. */
  user: string | null;
  asRoot: boolean;
}

export interface BackupRunChange extends BackupRun {
  /** 'new': nothing ran before (a new profile, or one without a backup check). */
  change: 'new' | 'changed';
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What the draft would run for the backup check, and where and as whom; null when it has none. */
export function backupRun(draft: ProfileDraft | null): BackupRun | null {
  const backup = isObj(draft?.checks) ? draft.checks.backup : undefined;
  if (!isObj(backup) || typeof backup.command !== 'string' || backup.command === '') return null;
  // The schema's default host is the homeserver.
  const host: HostRole = backup.host === 'deploy' ? 'deploy' : 'homeserver';
  const h = draft?.hosts?.[host];
  return {
    command: backup.command,
    host,
    target: h?.address ? `${h.user ? `${h.user}@` : ''}${h.address}` : null,
    user: h?.user ?? null,
    asRoot: h?.sudo === true,
  };
}

/**
 * The backup run to confirm before saving `after` over `before` (null: nothing saved yet): when the command
 * is new, or differs in its text, its host or whether it runs as root. Null when nothing new would run.
 */
export function backupRunToConfirm(before: ProfileDraft | null, after: ProfileDraft): BackupRunChange | null {
  const next = backupRun(after);
  if (!next) return null;
  const prev = backupRun(before);
  if (!prev) return { ...next, change: 'new' };
  const same = prev.command === next.command && prev.host === next.host && prev.asRoot === next.asRoot;
  return same ? null : { ...next, change: 'changed' };
}

/**
 * Characters that print as nothing (or as something else) yet reach the shell: control and format
 * characters (bidirectional overrides, zero-width), unassigned and private-use code points, separators other
 * than the plain space. Newline and tab stay as they are.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

export type CommandPart = { text: string } | { hidden: string };

/** The command split so that every hidden character can be shown by its code point. */
export function revealHidden(command: string): CommandPart[] {
  const parts: CommandPart[] = [];
  let text = '';
  for (const ch of command) {
    if (ch !== '\n' && ch !== '\t' && ch !== ' ' && HIDDEN.test(ch)) {
      if (text) parts.push({ text });
      text = '';
      parts.push({ hidden: `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}` });
    } else text += ch;
  }
  if (text) parts.push({ text });
  return parts;
}
