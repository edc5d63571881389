import { MASK } from '../lib/mask';
import { maskTokenReplies } from '../matrix/tuwunel-admin';

export { MASK };

/**
 * Replaces the secret values in play with MASK. Secrets are matched longest first so that a secret
 * containing another is masked whole. Complete texts also lose the tokens of Tuwunel's token replies
 * (`token issue`, `token list`), whether the app knows those tokens or not: every run's output, record,
 * sentence and audit line passes here, whichever front shows it.
 */
export class Redactor {
  private readonly secrets: string[];
  /** First characters of the secrets: most positions of a long output are ruled out by one lookup. */
  private readonly firsts: Set<string>;
  readonly maxLength: number;

  constructor(secrets: Iterable<string>) {
    const unique = new Set<string>();
    for (const s of secrets) if (s.length > 0) unique.add(s);
    this.secrets = [...unique].sort((a, b) => b.length - a.length);
    this.maxLength = this.secrets[0]?.length ?? 0;
    this.firsts = new Set(this.secrets.map((s) => s[0] as string));
  }

  /** Masks every secret, and every token in a Tuwunel token reply, in a complete text. */
  redact(text: string): string {
    if (text.length === 0) return text;
    return maskTokenReplies(this.secrets.length === 0 ? text : this.scan(text, text.length).text);
  }

  /** Masks every string in a JSON-like value (audit records, step summaries). */
  redactValue<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, this.redactValue(v)]),
      ) as T;
    }
    return value;
  }

  /** A redactor for one output stream: chunks may split a secret anywhere. */
  stream(): StreamRedactor {
    return new StreamRedactor(this);
  }

  /**
   * Masks matches that start before `limit`. Returns the masked text up to `consumed` (the end of the
   * last match or `limit`, whichever is later); the caller keeps `text.slice(consumed)` raw.
   */
  scan(text: string, limit: number): { text: string; consumed: number } {
    let out = '';
    let i = 0;
    let plainStart = 0;
    while (i < limit) {
      const match = this.firsts.has(text[i] as string)
        ? this.secrets.find((s) => text.startsWith(s, i))
        : undefined;
      if (match) {
        out += text.slice(plainStart, i) + MASK;
        i += match.length;
        plainStart = i;
      } else {
        i += 1;
      }
    }
    const consumed = Math.max(i, limit);
    return { text: out + text.slice(plainStart, consumed), consumed };
  }
}

/**
 * Holds back the last (longest secret − 1) characters of the stream until more arrives, so a secret
 * split across chunks is still masked; `end()` releases the rest.
 */
export class StreamRedactor {
  private pending = '';

  constructor(private readonly redactor: Redactor) {}

  push(chunk: string): string {
    if (this.redactor.maxLength === 0) return chunk;
    this.pending += chunk;
    const limit = this.pending.length - (this.redactor.maxLength - 1);
    if (limit <= 0) return '';
    const { text, consumed } = this.redactor.scan(this.pending, limit);
    this.pending = this.pending.slice(consumed);
    return text;
  }

  end(): string {
    const rest = this.redactor.redact(this.pending);
    this.pending = '';
    return rest;
  }
}
