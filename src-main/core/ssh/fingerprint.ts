import { createHash } from 'node:crypto';

/** `SHA256:<base64 without padding>`: the form `ssh-keygen -lf` and OpenSSH's prompts print. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type an SSH public key blob names in its first field (e.g. `ssh-ed25519`), or null if malformed. */
export function keyTypeOf(keyBlob: Buffer): string | null {
  if (keyBlob.length < 4) return null;
  const length = keyBlob.readUInt32BE(0);
  if (length === 0 || length > 64 || keyBlob.length < 4 + length) return null;
  const type = keyBlob.subarray(4, 4 + length).toString('latin1');
  return /^[A-Za-z0-9@._-]+$/.test(type) ? type : null;
}
