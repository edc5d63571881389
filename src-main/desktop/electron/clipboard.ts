import type { Clipboard as ElectronClipboard, ClipboardItem as ElectronClipboardItem } from 'electron';
import type { Clipboard } from '../../core/token/clipboard';
import { concealedFormats, electronRawFormat } from '../../core/token/concealed-formats';

/** What this adapter needs from `electron`: `setupClipboard(require('electron'))` in main.ts. */
export interface ElectronClipboardModule {
  clipboard: ElectronClipboard;
  ClipboardItem: typeof ElectronClipboardItem;
}

/**
 * Electron's clipboard behind the core's Clipboard interface. A concealed write puts the text and the
 * platform's "do not keep this" formats in ONE ClipboardItem: Electron commits a write() atomically,
 * while separate writes would each replace the clipboard.
 */
export function setupClipboard(
  electron: ElectronClipboardModule,
  platform: NodeJS.Platform = process.platform,
): Clipboard {
  const formats = concealedFormats(platform);
  return {
    name: 'the system clipboard',
    concealable: formats.length > 0,
    async writeText(text, { concealed }) {
      const item: Record<string, string | Blob> = { 'text/plain': text };
      if (concealed) for (const f of formats) item[electronRawFormat(f.name)] = new Blob([f.data]);
      await electron.clipboard.write([new electron.ClipboardItem(item)]);
    },
    readText: () => electron.clipboard.readText(),
    async clear() {
      electron.clipboard.clear();
    },
  };
}
