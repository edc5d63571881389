import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Act, type ActLog, recordAct } from '../lib/acts';
import type { KeychainRef, SecretStore } from '../secrets/types';
import { SECRET_KINDS } from '../vocab';
import type { Redactor } from './redact';

export const AUDIT_FILE = 'audit.jsonl';
/** The file is rotated before it would grow past this; one previous file (`.1`) is kept. */
export const AUDIT_MAX_BYTES = 5 * 1024 * 1024;

export type AuditOutcome = 'ok' | 'failed' | 'cancelled' | 'refused';

export interface AuditRecord {
  time: string;
  profile: string;
  /** A catalog action's id, or an act on secrets and trust (`token.copy`, `secret.set`, `hostkey.trust`, …). */
  action: string;
  /** null for what is not a run: acts on secrets and trust, refusals before a run existed. */
  runId: string | null;
  /** Validated parameters (never secrets), redacted once more all the same. */
  params: Record<string, unknown>;
  outcome: AuditOutcome;
  durationMs: number;
  failingStep: string | null;
  /** The outcome sentence shown to the user. */
  sentence: string;
}

/**
 * The append-only audit trail: one JSON object per line in `<dataDir>/audit.jsonl`. Appends are
 * serialised so concurrent runs never interleave a line.
 */
export class AuditLog {
  readonly path: string;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly maxBytes = AUDIT_MAX_BYTES,
  ) {
    this.path = join(dir, AUDIT_FILE);
  }

  append(record: AuditRecord, redactor?: Redactor): Promise<void> {
    const clean = redactor ? redactor.redactValue(record) : record;
    const line = `${JSON.stringify(clean)}\n`;
    const next = this.queue.then(() => this.write(line));
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * The log of one profile's acts on secrets and trust: each act a record without a run, its params names
   * and hints only (redacted once more all the same).
   */
  acts(profile: string, redactor?: Redactor): ActLog {
    return {
      record: (act: Act) =>
        this.append(
          {
            time: new Date(Date.now() - act.durationMs).toISOString(),
            profile,
            action: act.action,
            runId: null,
            params: act.params,
            outcome: act.outcome,
            durationMs: act.durationMs,
            failingStep: null,
            sentence: act.sentence,
          },
          redactor,
        ),
    };
  }

  /** Records of the current file, oldest first (the rotated `.1` file is not read). */
  async read(): Promise<AuditRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as AuditRecord);
  }

  private async write(line: string): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    let size = 0;
    try {
      size = (await stat(this.path)).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (size > 0 && size + Buffer.byteLength(line) > this.maxBytes) {
      await rename(this.path, `${this.path}.1`);
    }
    await appendFile(this.path, line, { mode: 0o600 });
  }
}

const USER_SECRET_KINDS: readonly string[] = SECRET_KINDS;

/** What a secret ref is, in words an audit line may hold: its kind and, for per-host kinds, the host role. */
function refParams(ref: KeychainRef): Act['params'] {
  return { kind: ref.kind, host: ref.host ?? null };
}

/**
 * The keychain with every store and delete of a user's secret recorded (`secret.set`, `secret.delete`):
 * whichever front does it (the window, the CLI, the admin sign-in), it passes here. The app's own entries
 * (the invite record) are bookkeeping, not acts of the user, and are not recorded.
 */
export function auditedSecretStore(store: SecretStore, acts: ActLog): SecretStore {
  const own = (ref: KeychainRef) => !USER_SECRET_KINDS.includes(ref.kind);
  return {
    get: (ref) => store.get(ref),
    has: (ref) => store.has(ref),
    set: (ref, value) =>
      own(ref)
        ? store.set(ref, value)
        : recordAct(
            acts,
            {
              action: 'secret.set',
              params: refParams(ref),
              done: () =>
                `Stored the ${ref.kind}${ref.host ? ` for the ${ref.host} host` : ''} in the keychain.`,
            },
            () => store.set(ref, value),
          ),
    delete: (ref) =>
      own(ref)
        ? store.delete(ref)
        : recordAct(
            acts,
            {
              action: 'secret.delete',
              params: refParams(ref),
              done: (deleted) =>
                deleted
                  ? `Deleted the ${ref.kind}${ref.host ? ` for the ${ref.host} host` : ''} from the keychain.`
                  : `No ${ref.kind}${ref.host ? ` for the ${ref.host} host` : ''} was stored; nothing was deleted.`,
            },
            () => store.delete(ref),
          ),
  };
}
