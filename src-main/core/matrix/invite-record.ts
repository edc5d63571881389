import { z } from 'zod';
import type { SecretStore } from '../secrets/types';

/**
 * The invites this app issued through the admin room, kept in the keychain (token values included; nothing of
 * it in a file). Tuwunel before 1.8.1 has no API to list registration tokens, and its `token list` would put the
 * vault's token into the room's history: this record is what the app lists there instead. It knows what the app
 * asked for (uses, expiry), not how often a token was used.
 */

const issuedSchema = z.object({
  token: z.string().min(1).max(1024),
  usesAllowed: z.number().int().positive().nullable(),
  /** Epoch ms; null for never. */
  expiresAt: z.number().int().nullable(),
  issuedAt: z.number().int(),
});
export type IssuedInvite = z.infer<typeof issuedSchema>;

const recordSchema = z.object({ invites: z.array(issuedSchema).max(10_000) });

export class InviteRecord {
  constructor(
    private readonly secrets: SecretStore,
    private readonly profileName: string,
    private readonly now: () => number = Date.now,
  ) {}

  private get ref() {
    return { profile: this.profileName, kind: 'issued-invites' as const };
  }

  /** The recorded invites that have not expired (expired ones are dropped from the record). */
  async list(): Promise<IssuedInvite[]> {
    const all = await this.read();
    const live = all.filter((i) => i.expiresAt === null || i.expiresAt > this.now());
    if (live.length !== all.length) await this.write(live);
    return live;
  }

  async add(invite: IssuedInvite): Promise<void> {
    const all = await this.read();
    await this.write([...all.filter((i) => i.token !== invite.token), invite]);
  }

  /** Drops these tokens; true when one was recorded. */
  async remove(tokens: Iterable<string>): Promise<boolean> {
    const drop = new Set(tokens);
    const all = await this.read();
    const kept = all.filter((i) => !drop.has(i.token));
    if (kept.length === all.length) return false;
    await this.write(kept);
    return true;
  }

  /** Keeps only the tokens the server still lists (the admin API knows which are used up or revoked). */
  async keepOnly(tokens: Iterable<string>): Promise<void> {
    const keep = new Set(tokens);
    const all = await this.read();
    const kept = all.filter((i) => keep.has(i.token));
    if (kept.length !== all.length) await this.write(kept);
  }

  /** Every recorded token, for masking: an unreadable record (no keychain) masks nothing and says nothing. */
  async tokens(): Promise<string[]> {
    try {
      return (await this.read()).map((i) => i.token);
    } catch {
      return [];
    }
  }

  private async read(): Promise<IssuedInvite[]> {
    const stored = await this.secrets.get(this.ref);
    if (!stored) return [];
    try {
      const parsed = recordSchema.safeParse(JSON.parse(stored.toString('utf8')));
      // A record this version cannot read is not guessed at: it lists nothing, and the next issue rewrites it.
      return parsed.success ? parsed.data.invites : [];
    } catch {
      return [];
    } finally {
      stored.fill(0);
    }
  }

  private async write(invites: IssuedInvite[]): Promise<void> {
    if (invites.length === 0) {
      await this.secrets.delete(this.ref);
      return;
    }
    const bytes = Buffer.from(JSON.stringify({ invites }), 'utf8');
    try {
      await this.secrets.set(this.ref, bytes);
    } finally {
      bytes.fill(0);
    }
  }
}
