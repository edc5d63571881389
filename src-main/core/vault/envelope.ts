import { z } from 'zod';
import { CorruptVault, NotAVault, UnsupportedVault } from './errors';

/**
 * The text envelope of an Ansible Vault, as lib/ansible/parsing/vault/__init__.py writes it:
 * a header line `$ANSIBLE_VAULT;<version>;<cipher>[;<vault-id>]`, then
 * hexlify(hexlify(salt) "\n" hexlify(hmac) "\n" hexlify(ciphertext)) in 80-column lines and a final newline.
 */
export const VAULT_HEADER = '$ANSIBLE_VAULT';
export const VAULT_LINE_WIDTH = 80;

export const vaultVersionSchema = z.enum(['1.1', '1.2']);
export type VaultVersion = z.infer<typeof vaultVersionSchema>;

/**
 * A vault-id label. ansible-vault only recognises a file whose every byte is ASCII, splits the header on `;`
 * and strips each part, so a label outside printable ASCII, with `;` or with spaces would not survive a round trip.
 */
export const vaultLabelSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[!-:<-~]+$/, 'may only hold printable ASCII without spaces or ";"');

export interface VaultEnvelope {
  version: VaultVersion;
  cipher: 'AES256';
  /** The vault-id label of a 1.2 header; ansible takes a fourth header part as the label whatever the version. */
  label: string | null;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}

const HMAC_HEX_LENGTH = 64;
const AES_BLOCK = 16;
const HEX = /^[0-9a-fA-F]*$/;

function isHex(s: string): boolean {
  return s.length % 2 === 0 && HEX.test(s);
}

/** Header fields go into messages: keep them short, whatever the file holds. */
function shown(field: string | undefined): string {
  return (field ?? '').trim().slice(0, 20);
}

function asText(data: string | Buffer): string {
  return typeof data === 'string' ? data : data.toString('latin1');
}

export function parseVaultEnvelope(data: string | Buffer, source?: string): VaultEnvelope {
  // Leading whitespace is allowed so an inline `!vault |` value cut out of YAML with its indentation parses.
  const text = asText(data).trimStart();
  // Python's bytes.splitlines(): \n, \r\n and a lone \r all end a line.
  const lines = text.split(/\r\n|\r|\n/);
  const header = (lines[0] ?? '').trim().split(';');
  if (header[0]?.trim() !== VAULT_HEADER) throw new NotAVault(source);
  if (/\P{ASCII}/u.test(text)) throw new CorruptVault('it holds bytes that are not ASCII', source);
  if (header.length < 3) throw new CorruptVault('its header line is incomplete', source);

  const version = vaultVersionSchema.safeParse(header[1]?.trim());
  if (!version.success) throw new UnsupportedVault(`format version "${shown(header[1])}"`, source);
  const cipher = header[2]?.trim();
  if (cipher !== 'AES256') throw new UnsupportedVault(`cipher "${shown(cipher)}"`, source);
  const label = header[3]?.trim() || null;

  const body = lines
    .slice(1)
    .map((line) => line.trim())
    .join('');
  if (body.length === 0) throw new CorruptVault('it has a header but no encrypted content', source);
  if (!isHex(body))
    throw new CorruptVault('its encrypted content is not whole hex (cut short or edited)', source);

  const inner = Buffer.from(body, 'hex').toString('latin1');
  const first = inner.indexOf('\n');
  const second = first < 0 ? -1 : inner.indexOf('\n', first + 1);
  if (second < 0) throw new CorruptVault('its encrypted content lacks the salt/HMAC/data parts', source);
  const saltHex = inner.slice(0, first);
  const hmacHex = inner.slice(first + 1, second);
  const ciphertextHex = inner.slice(second + 1);
  if (saltHex.length === 0 || !isHex(saltHex)) throw new CorruptVault('its salt is not hex', source);
  if (hmacHex.length !== HMAC_HEX_LENGTH || !isHex(hmacHex))
    throw new CorruptVault('its HMAC is not 32 bytes of hex', source);
  if (ciphertextHex.length === 0 || !isHex(ciphertextHex) || (ciphertextHex.length / 2) % AES_BLOCK !== 0)
    throw new CorruptVault('its ciphertext is not whole AES blocks (cut short?)', source);

  return {
    version: version.data,
    cipher,
    label,
    salt: Buffer.from(saltHex, 'hex'),
    hmac: Buffer.from(hmacHex, 'hex'),
    ciphertext: Buffer.from(ciphertextHex, 'hex'),
  };
}

/** ansible writes 1.2 only with a label, and treats the label `default` as no label (1.1). */
export function formatVaultEnvelope(parts: {
  label: string | null;
  salt: Buffer;
  hmac: Buffer;
  ciphertext: Buffer;
}): string {
  const label = parts.label === 'default' ? null : parts.label;
  const header = label ? `${VAULT_HEADER};1.2;AES256;${label}` : `${VAULT_HEADER};1.1;AES256`;
  const inner = `${parts.salt.toString('hex')}\n${parts.hmac.toString('hex')}\n${parts.ciphertext.toString('hex')}`;
  const body = Buffer.from(inner, 'latin1').toString('hex');
  const lines = [header];
  for (let i = 0; i < body.length; i += VAULT_LINE_WIDTH) lines.push(body.slice(i, i + VAULT_LINE_WIDTH));
  return `${lines.join('\n')}\n`;
}
