import { createHash } from 'node:crypto';
import { z } from 'zod';
import { readShared, updateShared } from '../lib/shared-file';
import { INVITE_STATES, type InviteState } from '../vocab';

/**
 * What became of each invite the app issued, kept in the data folder so the window, the tray and the CLI tell
 * the same story: pending, used (and by whom), expired, revoked. It never holds a token: an invite is known by a
 * hash of its token (`ref`, which cannot lead back to it) and the first four characters (`hint`).
 */

export { INVITE_STATES, type InviteState };

const entrySchema = z.object({
  ref: z.string().regex(/^[0-9a-f]{24}$/),
  hint: z.string().max(8),
  issuedAt: z.number().int(),
  expiresAt: z.number().int().nullable(),
  usesAllowed: z.number().int().positive().nullable(),
  state: z.enum(INVITE_STATES),
  endedAt: z.number().int().nullable(),
  /** Who registered with it, from the admin room's `New user "@u:s" registered …` notices. */
  joined: z.array(z.string().max(300)).max(1000),
  /** The family room or space whoever registers with it is invited into (an alias or room ID); null for none. */
  inviteTo: z.string().max(255).nullable().default(null),
  /** The room they were invited into once they joined (inviteTo, when that went through). */
  invitedTo: z.string().max(255).nullable().default(null),
  /** Why inviting them into inviteTo failed, as a sentence; null when it did not. */
  inviteProblem: z.string().max(2000).nullable().default(null),
  /** When a look first found it used up with nobody's registration notice yet (epoch ms); null otherwise. */
  usedSeenAt: z.number().int().nullable().default(null),
});
export type InviteHistoryEntry = z.infer<typeof entrySchema>;

const fileSchema = z.object({ invites: z.array(entrySchema).max(10_000) });

/** How long the look that ended an invite may take to bring its new members into the invite's room. */
export const ROOM_INVITE_WAIT_MS = 120_000;

/**
 * True while the look that ended an invite is still bringing its new members into the invite's room: `end` is
 * written before that room invite and `roomInvited` after it, so telling "joined" now would leave out where
 * they were invited. A look that died meanwhile is given up on after ROOM_INVITE_WAIT_MS.
 */
export function roomInviteUnderWay(e: InviteHistoryEntry, now: number): boolean {
  return (
    e.state === 'used' &&
    e.inviteTo !== null &&
    e.joined.length > 0 &&
    e.invitedTo === null &&
    e.inviteProblem === null &&
    e.endedAt !== null &&
    now - e.endedAt < ROOM_INVITE_WAIT_MS
  );
}

/** A file this version cannot read (or none) is an empty history: the next change rewrites it. */
function parse(text: string | null): InviteHistoryEntry[] {
  if (text === null) return [];
  try {
    const parsed = fileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.invites : [];
  } catch {
    return [];
  }
}

/** Ended invites kept for the panel's history; older ones are dropped. */
const KEEP_ENDED = 100;

export function inviteRef(token: string): string {
  return createHash('sha256').update(`homeserver-tray invite ${token}`).digest('hex').slice(0, 24);
}

export class InviteHistory {
  constructor(readonly path: string) {}

  async read(): Promise<InviteHistoryEntry[]> {
    let text: string | null;
    try {
      text = readShared(this.path);
    } catch {
      return [];
    }
    return parse(text);
  }

  /**
   * Reads, changes and writes the history (the change returns the new list) under the file's lock: the window's
   * list, the status polls and a CLI on the same data folder follow invites at the same time, and no change may
   * undo another's (a look that saw an invite pending must not write it back over one that ended it).
   */
  async update(change: (all: InviteHistoryEntry[]) => InviteHistoryEntry[]): Promise<InviteHistoryEntry[]> {
    const written = updateShared(this.path, (current) => {
      const next = change(parse(current));
      const pending = next.filter((e) => e.state === 'pending');
      const ended = next
        .filter((e) => e.state !== 'pending')
        .sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0))
        .slice(0, KEEP_ENDED);
      const kept = [...pending, ...ended].sort((a, b) => b.issuedAt - a.issuedAt);
      return `${JSON.stringify({ invites: kept }, null, 1)}\n`;
    });
    return parse(written);
  }

  async add(entry: InviteHistoryEntry): Promise<void> {
    await this.update((all) => [...all.filter((e) => e.ref !== entry.ref), entry]);
  }

  /** A look found it used up before the admin room told who registered: it stays pending a little longer. */
  async seenUsed(ref: string, at: number): Promise<void> {
    await this.update((all) =>
      all.map((e) => (e.ref === ref && e.usedSeenAt === null ? { ...e, usedSeenAt: at } : e)),
    );
  }

  /** What became of bringing an ended invite's new members into its room. */
  async roomInvited(
    ref: string,
    outcome: { invitedTo: string | null; inviteProblem: string | null },
  ): Promise<void> {
    await this.update((all) => all.map((e) => (e.ref === ref ? { ...e, ...outcome } : e)));
  }

  /** Ends a pending invite; false when it was not pending any more (another look, or process, ended it). */
  async end(
    ref: string,
    state: Exclude<InviteState, 'pending'>,
    at: number,
    joined: string[] = [],
  ): Promise<boolean> {
    let ended = false;
    await this.update((all) =>
      all.map((e) => {
        if (e.ref !== ref || e.state !== 'pending') return e;
        ended = true;
        return { ...e, state, endedAt: at, joined };
      }),
    );
    return ended;
  }
}
