/**
 * Keeps the last `limit` characters of a stream. A runaway command (a journal dump, a looping
 * playbook) must not grow the main process without bound, and the end of output is where the
 * error is.
 */
export class TailBuffer {
  private chunks: string[] = [];
  private length = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(text: string): void {
    if (text.length === 0) return;
    this.chunks.push(text);
    this.length += text.length;
    while (this.length > this.limit) {
      const head = this.chunks[0]!;
      const excess = this.length - this.limit;
      if (head.length <= excess) {
        this.chunks.shift();
        this.length -= head.length;
        this.dropped += head.length;
      } else {
        this.chunks[0] = head.slice(excess);
        this.length -= excess;
        this.dropped += excess;
      }
    }
  }

  /** Characters that fell off the head. */
  get droppedChars(): number {
    return this.dropped;
  }

  toString(): string {
    if (this.chunks.length > 1) this.chunks = [this.chunks.join('')];
    return this.chunks[0] ?? '';
  }
}
