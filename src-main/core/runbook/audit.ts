import { appendFile, mkdir, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redactor } from './redact';

export const AUDIT_FILE = 'audit.jsonl';
/** The file is rotated before it would grow past this; one previous file (`.1`) is kept. */
export const AUDIT_MAX_BYTES = 5 * 1024 * 1024;

export type AuditOutcome = 'ok' | 'failed' | 'cancelled' | 'refused';

export interface AuditRecord {
  time: string;
  profile: string;
  action: string;
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
