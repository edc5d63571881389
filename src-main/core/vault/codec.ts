import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  pbkdf2,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidInput } from '../errors';
import {
  formatVaultEnvelope,
  parseVaultEnvelope,
  VAULT_HEADER,
  type VaultVersion,
  vaultLabelSchema,
} from './envelope';
import { CorruptVault, WrongVaultPassword } from './errors';

/**
 * Ansible Vault AES256 (VaultAES256 in lib/ansible/parsing/vault/__init__.py): PBKDF2-HMAC-SHA256 with 10000
 * iterations derives 80 bytes — AES key, HMAC key, initial counter — then PKCS7-padded AES-256-CTR and an
 * HMAC-SHA256 over the ciphertext.
 */
const PBKDF2_ITERATIONS = 10_000;
const KEY_LENGTH = 32;
const IV_LENGTH = 16;
const SALT_LENGTH = 32;
const AES_BLOCK = 16;

const pbkdf2Async = promisify(pbkdf2);

export interface DecryptedVault {
  /** The caller owns it: fill(0) it when done. */
  plaintext: Buffer;
  version: VaultVersion;
  label: string | null;
}

export interface EncryptOptions {
  /** vault-id label: gives a 1.2 header (`default` or none gives 1.1, as ansible-vault does). */
  label?: string | null;
  /** Salt to use instead of 32 random bytes: reproduces a given vault byte for byte (ansible's encrypt(salt=)). */
  salt?: Buffer;
}

function requirePassword(password: Buffer): void {
  if (password.length === 0)
    throw new InvalidInput('vault password', 'is empty, and ansible-vault refuses that too');
}

async function deriveKeys(password: Buffer, salt: Buffer): Promise<Buffer> {
  return pbkdf2Async(password, salt, PBKDF2_ITERATIONS, 2 * KEY_LENGTH + IV_LENGTH, 'sha256');
}

function keyParts(derived: Buffer): { aesKey: Buffer; hmacKey: Buffer; iv: Buffer } {
  return {
    aesKey: derived.subarray(0, KEY_LENGTH),
    hmacKey: derived.subarray(KEY_LENGTH, 2 * KEY_LENGTH),
    iv: derived.subarray(2 * KEY_LENGTH),
  };
}

function aesCtr(mode: 'encrypt' | 'decrypt', key: Buffer, iv: Buffer, input: Buffer): Buffer {
  const cipher =
    mode === 'encrypt' ? createCipheriv('aes-256-ctr', key, iv) : createDecipheriv('aes-256-ctr', key, iv);
  const head = cipher.update(input);
  const tail = cipher.final();
  if (tail.length === 0) return head;
  const out = Buffer.concat([head, tail]);
  head.fill(0);
  return out;
}

/** Decrypts an Ansible Vault (a whole vault file or an inline `!vault` value, CRLF or indented). */
export async function decryptVault(
  vaulttext: string | Buffer,
  password: Buffer,
  options: { source?: string } = {},
): Promise<DecryptedVault> {
  requirePassword(password);
  const envelope = parseVaultEnvelope(vaulttext, options.source);
  const derived = await deriveKeys(password, envelope.salt);
  try {
    const { aesKey, hmacKey, iv } = keyParts(derived);
    const expected = createHmac('sha256', hmacKey).update(envelope.ciphertext).digest();
    if (!timingSafeEqual(expected, envelope.hmac)) throw new WrongVaultPassword(options.source);
    const padded = aesCtr('decrypt', aesKey, iv, envelope.ciphertext);
    try {
      const pad = padded[padded.length - 1] ?? 0;
      const validPad =
        pad >= 1 && pad <= AES_BLOCK && padded.subarray(padded.length - pad).every((byte) => byte === pad);
      // The HMAC matched, so this is the writer's fault, not a wrong password.
      if (!validPad)
        throw new CorruptVault('its padding is invalid although its HMAC matches', options.source);
      return {
        plaintext: Buffer.from(padded.subarray(0, padded.length - pad)),
        version: envelope.version,
        label: envelope.label,
      };
    } finally {
      padded.fill(0);
    }
  } finally {
    derived.fill(0);
  }
}

/**
 * The keys of one encryption, derived ahead of it: PBKDF2 is nearly all of an encryption's time, and it
 * needs only the password and a fresh salt, so a rotation derives them while it decrypts the old vault.
 * One use only: a second plaintext under the same key and counter would leak both, so seal() wipes them.
 */
export interface VaultSealer {
  /** Encrypts like `ansible-vault encrypt` (with `--vault-id label@…` when a label is given). */
  seal(plaintext: string | Buffer, label?: string | null): string;
  /** Wipes the keys without sealing (the rotation stopped before its encrypt step). */
  dispose(): void;
}

export async function prepareVaultSealer(
  password: Buffer,
  options: { salt?: Buffer } = {},
): Promise<VaultSealer> {
  requirePassword(password);
  if (options.salt && options.salt.length === 0) throw new InvalidInput('salt', 'is empty');
  const salt = options.salt ?? randomBytes(SALT_LENGTH);
  let derived: Buffer | null = await deriveKeys(password, salt);
  const take = (): Buffer => {
    if (!derived) throw new Error('A vault sealer encrypts once; prepare a new one for the next vault.');
    const keys = derived;
    derived = null;
    return keys;
  };
  return {
    seal(plaintext, label = null) {
      if (label !== null) {
        const parsed = vaultLabelSchema.safeParse(label);
        if (!parsed.success)
          throw new InvalidInput('vault-id label', parsed.error.issues[0]?.message ?? 'is invalid');
      }
      const owned = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : null;
      const input = owned ?? (plaintext as Buffer);
      if (isEncryptedLikeAnsible(input)) {
        owned?.fill(0);
        throw new InvalidInput(
          'plaintext',
          'is already an Ansible Vault, and ansible-vault refuses to encrypt it again',
        );
      }
      const keys = take();
      const pad = AES_BLOCK - (input.length % AES_BLOCK);
      const padded = Buffer.alloc(input.length + pad, pad);
      input.copy(padded);
      owned?.fill(0);
      try {
        const { aesKey, hmacKey, iv } = keyParts(keys);
        const ciphertext = aesCtr('encrypt', aesKey, iv, padded);
        const hmac = createHmac('sha256', hmacKey).update(ciphertext).digest();
        return formatVaultEnvelope({ label, salt, hmac, ciphertext });
      } finally {
        padded.fill(0);
        keys.fill(0);
      }
    },
    dispose() {
      derived?.fill(0);
      derived = null;
    },
  };
}

/** Encrypts like `ansible-vault encrypt` (with `--vault-id label@…` when a label is given). */
export async function encryptVault(
  plaintext: string | Buffer,
  password: Buffer,
  options: EncryptOptions = {},
): Promise<string> {
  const sealer = await prepareVaultSealer(password, options.salt ? { salt: options.salt } : {});
  try {
    return sealer.seal(plaintext, options.label ?? null);
  } finally {
    sealer.dispose();
  }
}

/** ansible's is_encrypted(): all of it ASCII and starting with the header, no whitespace allowed first. */
function isEncryptedLikeAnsible(data: Buffer): boolean {
  return (
    data.subarray(0, VAULT_HEADER.length).toString('latin1') === VAULT_HEADER && data.every((b) => b < 0x80)
  );
}
