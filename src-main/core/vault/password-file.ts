/**
 * The vault password as ansible-vault reads it from `--vault-password-file`: FileVaultSecret._read_file does
 * `f.read().strip()` (Python's ASCII whitespace: space, \t, \n, \r, \v, \f) and then `.strip(b'\r\n')`, which
 * the first strip already covers. Returns a copy, so the caller can zero both buffers independently.
 */
const ASCII_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]);

export function trimVaultPasswordFile(contents: Buffer): Buffer {
  let start = 0;
  let end = contents.length;
  while (start < end && ASCII_WHITESPACE.has(contents[start]!)) start++;
  while (end > start && ASCII_WHITESPACE.has(contents[end - 1]!)) end--;
  return Buffer.from(contents.subarray(start, end));
}
