/** Positions of visible lines: an array, or a lazy range when nothing is filtered out. */
export interface IndexView {
  readonly length: number;
  at(position: number): number | undefined;
}

/**
 * A growing list of journal lines (as journalctl prints them) with a cap, addressed by absolute index (the n-th line ever appended), and a
 * filter view that is extended incrementally: appending 10 000 lines/s to 100 000 must not rescan everything
 * on every frame. Mutable on purpose; the store bumps a version number so React knows to look again.
 */
export class LogBuffer {
  private lines: string[] = [];
  /** Absolute index of lines[0]. */
  private base = 0;
  private view: { filter: string; scannedTo: number; indices: number[] } = {
    filter: '',
    scannedTo: 0,
    indices: [],
  };

  constructor(readonly cap = 200_000) {}

  get size(): number {
    return this.lines.length;
  }

  /** Absolute index one past the newest line. */
  get end(): number {
    return this.base + this.lines.length;
  }

  append(lines: readonly string[]): void {
    for (const l of lines) this.lines.push(l);
    // Drop in batches so the cost of shifting the array is paid rarely.
    if (this.lines.length > this.cap + this.cap / 4) {
      const drop = this.lines.length - this.cap;
      this.lines.splice(0, drop);
      this.base += drop;
    }
  }

  at(absolute: number): string | undefined {
    return this.lines[absolute - this.base];
  }

  clear(): void {
    this.base += this.lines.length;
    this.lines = [];
  }

  /** Absolute indices of the lines containing `filter` (case-insensitive), oldest first. */
  matching(filter: string): IndexView {
    const needle = filter.toLowerCase();
    if (needle === '') return this.allIndices();
    const v = this.view;
    if (v.filter !== needle) {
      this.view = { filter: needle, scannedTo: this.base, indices: [] };
    } else if (v.indices.length > 0 && (v.indices[0] ?? 0) < this.base) {
      v.indices = v.indices.filter((i) => i >= this.base);
    }
    const view = this.view;
    for (let i = Math.max(view.scannedTo, this.base); i < this.end; i++) {
      if (this.lines[i - this.base]?.toLowerCase().includes(needle)) view.indices.push(i);
    }
    view.scannedTo = this.end;
    return view.indices;
  }

  private allIndices(): IndexView {
    return new AllIndices(this.base, this.lines.length);
  }
}

/** A lazy [base, base+1, …] so "no filter" costs nothing for 100 000 lines. */
class AllIndices implements IndexView {
  constructor(
    private readonly base: number,
    readonly length: number,
  ) {}
  at(i: number): number | undefined {
    return i >= 0 && i < this.length ? this.base + i : undefined;
  }
}
