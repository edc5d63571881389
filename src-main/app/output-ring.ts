import type { OutputChunk } from './views/run-schema';

/**
 * The last `maxChars` characters of a run's output as chunks, in a ring: adding a chunk and dropping the
 * oldest are O(1), however long the run prints, and nothing is copied until someone reads it (runs.get).
 * What fell off the head is counted, in UTF-8 bytes, and said in front of what is kept.
 */
export class OutputRing {
  private items: (OutputChunk | undefined)[] = new Array(64);
  private head = 0;
  private count = 0;
  private chars = 0;
  private droppedBytes = 0;

  constructor(private readonly maxChars: number) {}

  push(chunk: OutputChunk): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) % this.items.length] = chunk;
    this.count += 1;
    this.chars += chunk.text.length;
    // The newest chunk always stays, even alone over the cap: it is what the run says now.
    while (this.chars > this.maxChars && this.count > 1) {
      const oldest = this.items[this.head] as OutputChunk;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.items.length;
      this.count -= 1;
      this.chars -= oldest.text.length;
      this.droppedBytes += Buffer.byteLength(oldest.text);
    }
  }

  /** Bytes of output that fell off the head. */
  get dropped(): number {
    return this.droppedBytes;
  }

  /**
   * What is kept, oldest first; when something was dropped, a line saying how much comes first, numbered
   * just before the first kept chunk (the number of the last dropped one, which nobody is shown again).
   */
  chunks(): OutputChunk[] {
    const kept: OutputChunk[] = [];
    for (let i = 0; i < this.count; i++)
      kept.push(this.items[(this.head + i) % this.items.length] as OutputChunk);
    const first = kept[0];
    if (this.droppedBytes === 0 || !first) return kept;
    const note: OutputChunk = {
      seq: first.seq - 1,
      stepId: null,
      stream: 'info',
      text: `… ${this.droppedBytes} bytes dropped: the output kept here is its last ${Math.round(this.maxChars / 1024)} KB …\n`,
    };
    return [note, ...kept];
  }

  private grow(): void {
    const bigger: (OutputChunk | undefined)[] = new Array(this.items.length * 2);
    for (let i = 0; i < this.count; i++) bigger[i] = this.items[(this.head + i) % this.items.length];
    this.items = bigger;
    this.head = 0;
  }
}
