import type { Clipboard } from '../../../../src-main/core/token/clipboard';

/** The clipboard for tests: what was written (and whether concealed), read back, cleared. */
export class RecordingClipboard implements Clipboard {
  readonly name = 'the recording clipboard';
  readonly writes: { text: string; concealed: boolean }[] = [];
  clears = 0;
  content = '';

  constructor(readonly concealable = true) {}

  async writeText(text: string, options: { concealed: boolean }): Promise<void> {
    this.writes.push({ text, concealed: options.concealed });
    this.content = text;
  }

  async readText(): Promise<string> {
    return this.content;
  }

  async clear(): Promise<void> {
    this.clears++;
    this.content = '';
  }

  /** Another application copied something. */
  userCopies(text: string): void {
    this.content = text;
  }
}
