/**
 * keytar stores a JS string, which libsecret keeps as a NUL-terminated UTF-8 C string: a NUL byte or invalid
 * UTF-8 would be cut or mangled. Text that survives that is stored as is (so Seahorse or `secret-tool lookup`
 * show the real secret); anything else, and any text that starts with the marker, is stored as marker + base64.
 * That keeps the mapping one-to-one.
 */
const BASE64_MARKER = 'homeserver-tray:base64:';

// ignoreBOM keeps a leading U+FEFF as part of the value instead of swallowing it.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function asPlainText(value: Buffer): string | null {
  let text: string;
  try {
    text = strictUtf8.decode(value);
  } catch {
    return null;
  }
  return text.includes('\0') || text.startsWith(BASE64_MARKER) ? null : text;
}

export function encodeSecretValue(value: Buffer): string {
  return asPlainText(value) ?? BASE64_MARKER + value.toString('base64');
}

export function decodeSecretValue(stored: string): Buffer {
  return stored.startsWith(BASE64_MARKER)
    ? Buffer.from(stored.slice(BASE64_MARKER.length), 'base64')
    : Buffer.from(stored, 'utf8');
}
