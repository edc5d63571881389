/**
 * Collects items and hands them on in one batch per interval: a busy log or a chatty playbook would
 * otherwise cost one IPC message (and one renderer update) per chunk.
 */
export class Batcher<T> {
  private items: T[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly flushTo: (items: T[]) => void,
  ) {}

  push(...items: T[]): void {
    if (items.length === 0) return;
    this.items.push(...items);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Hands on what is held now (before an event that must come after it). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.flushTo(items);
  }

  /** Drops what is held without handing it on. */
  discard(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.items = [];
  }
}

/** The longest line handed on (characters); journald allows far longer ones, and a host decides what it prints. */
export const MAX_LINE_CHARS = 16 * 1024;

const HIGH_SURROGATE = /[\uD800-\uDBFF]/;

function endsWithHighSurrogate(text: string): boolean {
  return text.length > 0 && HIGH_SURROGATE.test(text[text.length - 1] as string);
}

/**
 * Splits a stream of text chunks into whole lines, holding back the unfinished last one. Each chunk is
 * scanned once, and what is held is at most `maxLine` characters: the rest of a longer line is dropped
 * (never half a surrogate pair kept) and the line ends with how many bytes of UTF-8 went.
 */
export class LineSplitter {
  private held: string[] = [];
  private heldChars = 0;
  /** Whether this line was already cut: everything until its end is dropped. */
  private cut = false;
  private droppedBytes = 0;
  /** A high surrogate at the end of a dropped piece, counted once its pair (or the line's end) is known. */
  private droppedHigh = '';
  /** Whether the line so far ends in `\r`: CRLF ends a line like LF, wherever the chunks were cut. */
  private endsWithCr = false;

  constructor(private readonly maxLine = MAX_LINE_CHARS) {}

  push(text: string): string[] {
    const lines: string[] = [];
    let from = 0;
    for (let newline = text.indexOf('\n'); newline >= 0; newline = text.indexOf('\n', from)) {
      this.hold(text.slice(from, newline));
      lines.push(this.finish());
      from = newline + 1;
    }
    this.hold(text.slice(from));
    return lines;
  }

  /** The unfinished line, once the stream is over. */
  end(): string[] {
    if (this.heldChars === 0 && !this.cut) return [];
    return [this.finish()];
  }

  private hold(piece: string): void {
    if (piece.length === 0) return;
    this.endsWithCr = piece.endsWith('\r');
    if (this.cut) {
      this.drop(piece);
      return;
    }
    const room = this.maxLine - this.heldChars;
    if (piece.length <= room) {
      this.held.push(piece);
      this.heldChars += piece.length;
      return;
    }
    this.cut = true;
    let keep = room;
    let dropped = piece;
    if (keep > 0 && HIGH_SURROGATE.test(piece[keep - 1] as string)) keep -= 1;
    if (keep > 0) {
      this.held.push(piece.slice(0, keep));
      dropped = piece.slice(keep);
    } else if (room === 0) {
      // The line reached the cap exactly at the end of an earlier piece: its last character may be half a pair.
      const last = this.held.at(-1) ?? '';
      if (endsWithHighSurrogate(last)) {
        this.held[this.held.length - 1] = last.slice(0, -1);
        dropped = last.slice(-1) + piece;
      }
    }
    this.drop(dropped);
  }

  private drop(piece: string): void {
    const text = this.droppedHigh + piece;
    const tail = endsWithHighSurrogate(text) ? 1 : 0;
    this.droppedBytes += Buffer.byteLength(text.slice(0, text.length - tail));
    this.droppedHigh = text.slice(text.length - tail);
  }

  private finish(): string {
    let line = this.held.join('');
    let dropped = this.droppedBytes + Buffer.byteLength(this.droppedHigh);
    if (this.endsWithCr) {
      if (this.cut) dropped -= 1;
      else line = line.slice(0, -1);
    }
    this.held = [];
    this.heldChars = 0;
    this.cut = false;
    this.droppedBytes = 0;
    this.droppedHigh = '';
    this.endsWithCr = false;
    return dropped > 0 ? `${line} … [${dropped} ${dropped === 1 ? 'byte' : 'bytes'} dropped]` : line;
  }
}
