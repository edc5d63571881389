import { z } from 'zod';
import { SharedKeyedStore } from '../lib/shared-keyed-store';
import type { MuteDuration } from '../vocab';
import type { AlertKind } from './alert-policy';

/** What a mute silences: one check, every check of one unit, or the whole server (every check of the profile). */
export const muteTarget = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('server') }).strict(),
  z.object({ kind: z.literal('unit'), unit: z.string().min(1).max(128) }).strict(),
  z.object({ kind: z.literal('check'), checkId: z.string().min(1).max(200) }).strict(),
]);
export type MuteTarget = z.infer<typeof muteTarget>;

const DURATION_MS: Record<Exclude<MuteDuration, 'recovered'>, number> = {
  '1h': 3_600_000,
  '8h': 8 * 3_600_000,
};

const muteSchema = z.object({
  /** One mute per target: muting it again replaces the earlier one. */
  key: z.string().min(1),
  target: muteTarget,
  /** ISO time it began. */
  since: z.string(),
  /** ISO time it ends; null: when every check it covers is up again. */
  until: z.string().nullable(),
});
export type Mute = z.infer<typeof muteSchema>;

/** The fields of a check a mute looks at. */
export interface MutableCheck {
  id: string;
  units: readonly string[];
}

export function muteKey(target: MuteTarget): string {
  switch (target.kind) {
    case 'server':
      return 'server';
    case 'unit':
      return `unit:${target.unit}`;
    case 'check':
      return `check:${target.checkId}`;
  }
}

export function covers(mute: Pick<Mute, 'target'>, check: MutableCheck): boolean {
  switch (mute.target.kind) {
    case 'server':
      return true;
    case 'unit':
      return check.units.includes(mute.target.unit);
    case 'check':
      return check.id === mute.target.checkId;
  }
}

function active(mute: Mute, now: number): boolean {
  return mute.until === null || Date.parse(mute.until) > now;
}

/**
 * Whether an alert about this check stays off the desktop and the off-host channels. A mute "until it
 * recovers" lets the recovery through: that is the news its user waits for, and what ends it.
 */
export function silenced(mutes: readonly Mute[], kind: AlertKind, check: MutableCheck, now: number): boolean {
  return mutes.some((m) => active(m, now) && covers(m, check) && !(m.until === null && kind === 'recovered'));
}

/**
 * The mutes of one profile. Like maintenance they live in the data folder (state/<uid>/mutes.json), shared
 * by every process of the profile — the tray app, `status --watch`, the CLI — which read each other's at
 * every poll (reload). A timed mute ends by itself; one until recovery is released by the first poll that
 * finds everything it covers up again (release()).
 */
export class MuteStore {
  private readonly store: SharedKeyedStore<Mute>;

  constructor(
    file?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.store = new SharedKeyedStore({
      file,
      schema: muteSchema,
      keyOf: (m) => m.key,
      // An unreadable entry holds no mute: a mute must never hide alerts by mistake.
      accept: (m) => Number.isFinite(Date.parse(m.since)),
      // Every change drops the mutes that have ended, from the file or from memory.
      prune: (all) => {
        const now = this.now();
        let pruned = false;
        for (const [k, m] of all)
          if (!active(m, now)) {
            all.delete(k);
            pruned = true;
          }
        return pruned;
      },
      view: (all) => {
        const now = this.now();
        return [...all.values()].filter((m) => active(m, now));
      },
    });
  }

  /** The mutes in force now. */
  list(): Mute[] {
    return this.store.list();
  }

  /** Mutes the target for the duration (replacing an earlier mute of it); returns the mute. */
  mute(target: MuteTarget, duration: MuteDuration): Mute {
    const now = this.now();
    const mute: Mute = {
      key: muteKey(target),
      target,
      since: new Date(now).toISOString(),
      until: duration === 'recovered' ? null : new Date(now + DURATION_MS[duration]).toISOString(),
    };
    this.store.change((all) => {
      all.set(mute.key, mute);
      return true;
    });
    return mute;
  }

  /** Ends mutes now; false when none of them was there. */
  release(keys: readonly string[]): boolean {
    return this.store.change((all) => keys.map((k) => all.delete(k)).some(Boolean));
  }

  /** Reads the file again; tells the listeners when another process changed it. */
  reload(): boolean {
    return this.store.reload();
  }

  /** Called with the mutes in force on every change (this process's or, after reload, another's). */
  subscribe(listener: (mutes: Mute[]) => void): () => void {
    return this.store.subscribe(listener);
  }
}
