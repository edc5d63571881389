import type { Clipboard, ClipboardBookmark, ClipboardItem } from 'electron';
import { type Imitation, INSIDE, type OnlyElectron } from './imitation';
import { record } from './recorder';

const BOOKMARK = 'electron application/bookmark';
type Payload = string | Blob | ClipboardBookmark | Promise<Blob | string>;
type Stored = Buffer | ClipboardBookmark;

/** Electron's W3C ClipboardItem (lib/browser/api/clipboard-item.ts): MIME type → payload. */
class StandInClipboardItem implements Imitation<ClipboardItem> {
  readonly [INSIDE]: { data: Record<string, Payload> };

  constructor(items: Record<string, Payload>) {
    if (typeof items !== 'object' || items === null || Array.isArray(items))
      throw new TypeError(
        "Failed to construct 'ClipboardItem': 1 argument required — an object mapping MIME types to payloads.",
      );
    if (Object.keys(items).length === 0)
      throw new TypeError("Failed to construct 'ClipboardItem': at least one MIME type is required.");
    this[INSIDE] = { data: { ...items } };
  }

  get types(): string[] {
    return Object.keys(this[INSIDE].data);
  }

  getType(type: typeof BOOKMARK): Promise<ClipboardBookmark>;
  getType(type: string): Promise<Blob>;
  async getType(type: string): Promise<Blob | ClipboardBookmark> {
    const data = this[INSIDE].data;
    if (!Object.hasOwn(data, type))
      throw new DOMException(`The type '${type}' was not found`, 'NotFoundError');
    const payload = await data[type];
    if (type === BOOKMARK) return payload as ClipboardBookmark;
    return payload instanceof Blob ? payload : new Blob([payload as string], { type });
  }
}
const itemOnly: OnlyElectron<StandInClipboardItem, ClipboardItem> = true;
void itemOnly;

/** The payloads resolved to what the native clipboard stores: bytes, or a bookmark object. */
async function toNative(item: StandInClipboardItem): Promise<Map<string, Stored>> {
  const out = new Map<string, Stored>();
  for (const [type, raw] of Object.entries(item[INSIDE].data)) {
    const payload = await raw;
    if (type === BOOKMARK) {
      const b = payload as ClipboardBookmark;
      if (typeof b !== 'object' || typeof b.title !== 'string' || typeof b.url !== 'string')
        throw new TypeError(`Invalid payload for '${type}': expected { title, url }`);
      out.set(type, { title: b.title, url: b.url });
    } else if (typeof payload === 'string') out.set(type, Buffer.from(payload, 'utf8'));
    else if (payload instanceof Blob) out.set(type, Buffer.from(await payload.arrayBuffer()));
    else throw new TypeError(`Invalid payload for '${type}': expected a string or a Blob`);
  }
  return out;
}

/**
 * One system clipboard (or the X11 selection): formats and their bytes. A write replaces everything at
 * once, as the native commit does; what a clipboard manager or another app would read is `formats`.
 */
class StandInClipboard implements Imitation<Clipboard> {
  readonly [INSIDE]: { name: string; formats: Map<string, Stored> };

  constructor(name: string) {
    this[INSIDE] = { name, formats: new Map() };
  }

  async write(data: ClipboardItem[]): Promise<void> {
    record(this[INSIDE].name, 'write', [data]);
    if (!Array.isArray(data)) throw new TypeError('clipboard.write expects an array of ClipboardItem');
    const next = new Map<string, Stored>();
    for (const item of data) {
      if (!((item as unknown) instanceof StandInClipboardItem))
        throw new TypeError('clipboard.write expects an array of ClipboardItem');
      for (const [type, value] of await toNative(item as unknown as StandInClipboardItem))
        next.set(type, value);
    }
    this[INSIDE].formats = next;
  }

  async writeText(text: string): Promise<void> {
    record(this[INSIDE].name, 'writeText', [text]);
    this[INSIDE].formats = new Map([['text/plain', Buffer.from(text, 'utf8')]]);
  }

  async readText(): Promise<string> {
    record(this[INSIDE].name, 'readText', []);
    const text = this[INSIDE].formats.get('text/plain');
    return Buffer.isBuffer(text) ? text.toString('utf8') : '';
  }

  async has(mimetype: string): Promise<boolean> {
    return this[INSIDE].formats.has(mimetype);
  }

  async read(): Promise<StandInClipboardItem[]> {
    record(this[INSIDE].name, 'read', []);
    const formats = this[INSIDE].formats;
    if (formats.size === 0) return [];
    const items: Record<string, Payload> = {};
    for (const [type, value] of formats)
      items[type] = Buffer.isBuffer(value) ? new Blob([new Uint8Array(value)], { type }) : { ...value };
    return [new StandInClipboardItem(items)];
  }

  clear(): void {
    record(this[INSIDE].name, 'clear', []);
    this[INSIDE].formats = new Map();
  }
}

class StandInSystemClipboard extends StandInClipboard {
  /** X11's PRIMARY selection (Linux only), a clipboard of its own. */
  readonly selection = new StandInClipboard('clipboard.selection');
}
const clipboardOnly: OnlyElectron<StandInSystemClipboard, Clipboard> = true;
void clipboardOnly;

export const clipboard = new StandInSystemClipboard('clipboard');
export { StandInClipboardItem };

/** What the clipboard holds now, format by format, as text (bookmarks as JSON): what another app would read. */
export function clipboardContents(which: StandInClipboard = clipboard): Record<string, string> {
  return Object.fromEntries(
    [...which[INSIDE].formats].map(([type, value]) => [
      type,
      Buffer.isBuffer(value) ? value.toString('utf8') : JSON.stringify(value),
    ]),
  );
}

/** Another program puts text on the clipboard (the user copies something else). */
export function copyElsewhere(text: string, which: StandInClipboard = clipboard): void {
  which[INSIDE].formats = new Map([['text/plain', Buffer.from(text, 'utf8')]]);
}
