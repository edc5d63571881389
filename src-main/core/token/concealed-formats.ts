/**
 * Extra clipboard formats that tell clipboard managers and the OS history not to keep a secret, beside
 * the text itself, per platform:
 * - macOS: `org.nspasteboard.ConcealedType` (nspasteboard.org; honoured by Maccy, Alfred, Raycast, Paste…).
 * - Windows: `ExcludeClipboardContentFromMonitorProcessing` (any data) plus `CanIncludeInClipboardHistory`
 *   and `CanUploadToCloudClipboard` as DWORD 0 — the "Cloud Clipboard and Clipboard History Formats" of
 *   the Win32 clipboard documentation.
 * - Linux: `x-kde-passwordManagerHint` = `secret` (Klipper, CopyQ, cliphist through wl-clipboard).
 * Electron writes a raw platform format through its `electron application/osclipboard;format="<name>"`
 * custom type.
 */
export interface ConcealedFormat {
  name: string;
  data: Buffer;
}

const DWORD_ZERO = Buffer.alloc(4);

export function concealedFormats(platform: NodeJS.Platform): ConcealedFormat[] {
  switch (platform) {
    case 'darwin':
      return [{ name: 'org.nspasteboard.ConcealedType', data: Buffer.alloc(0) }];
    case 'win32':
      return [
        { name: 'ExcludeClipboardContentFromMonitorProcessing', data: Buffer.alloc(1) },
        { name: 'CanIncludeInClipboardHistory', data: DWORD_ZERO },
        { name: 'CanUploadToCloudClipboard', data: DWORD_ZERO },
      ];
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return [{ name: 'x-kde-passwordManagerHint', data: Buffer.from('secret', 'latin1') }];
    default:
      return [];
  }
}

/** The key Electron's ClipboardItem takes for a raw platform format. */
export function electronRawFormat(name: string): string {
  return `electron application/osclipboard;format="${name}"`;
}
