import { createCipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError, InvalidInput } from '../../../../src-main/core/errors';
import { decryptVault, encryptVault, prepareVaultSealer } from '../../../../src-main/core/vault/codec';
import { formatVaultEnvelope, parseVaultEnvelope } from '../../../../src-main/core/vault/envelope';
import {
  CorruptVault,
  NotAVault,
  UnsupportedVault,
  WrongVaultPassword,
} from '../../../../src-main/core/vault/errors';
import { sweep } from '../../../support/sweep';

// Made by the real ansible-vault 2.14 (`encrypt --vault-password-file` with the file holding GOLDEN_PASSWORD).
const GOLDEN_PASSWORD = 'golden-password';
const GOLDEN_PLAINTEXT = 'vault_matrix_registration_token: "0123456789abcdef"\nemoji: "🔑 clé"\n';
const GOLDEN_1_1 = `$ANSIBLE_VAULT;1.1;AES256
62326263393830666266336362343036306464666532383333343531303234653438343562363262
6136656161323466353461353038313235353330306462300a313065356131333333633832303966
31353937663061373832656433626239343633666633633036336233643835343964376332356336
3865666335616130380a646234363139366336336439613931323938383439623264323163303464
63306633313763303037376662313365303630303839613062653864376636353864323362396161
34376465363966313431323833633164646566623336336634393935633661643161333363303932
65656635336336393861623561666534326339373535626130386164323061396335653830323465
32313238643533373735
`;
// `encrypt_string --vault-id golden@… --stdin-name k` of "hello": an inline value, indented by ten spaces.
const GOLDEN_INLINE_1_2 = `          $ANSIBLE_VAULT;1.2;AES256;golden
          63343534386538303861613034313138663166613033373665323230316564636465363038326638
          6334653138326439616335356261393766343537313534340a346264323462376233383162376134
          39363432613831353365616235356563353036333336343963363236343530383131616236366430
          6564343437373031320a343533383561343863336562363366646438633961373731303665643034
          3034`;

const password = Buffer.from(GOLDEN_PASSWORD);

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** Re-wraps a vault after changing its inner "salt\nhmac\nciphertext" text. */
function rewrap(vault: string, edit: (inner: string) => string): string {
  const [header, ...rest] = vault.trimEnd().split('\n');
  const inner = Buffer.from(rest.join(''), 'hex').toString('latin1');
  const body = Buffer.from(edit(inner), 'latin1').toString('hex');
  return `${header}\n${body.match(/.{1,80}/g)!.join('\n')}\n`;
}

function expectUserFacing(e: unknown, ...forbidden: string[]): void {
  expect(e).toBeInstanceOf(AppError);
  const { message, nextStep } = (e as AppError).toJSON();
  expect(message).toMatch(/^[A-Z].*\.$/);
  expect(nextStep).toMatch(/^[A-Z].*\.$/);
  for (const word of forbidden) {
    expect(message).not.toContain(word);
    expect(nextStep).not.toContain(word);
  }
}

describe('decryptVault on vaults the real ansible-vault wrote', () => {
  it('opens a 1.1 vault byte for byte, UTF-8 included', async () => {
    const out = await decryptVault(GOLDEN_1_1, password);
    expect(out.plaintext.equals(Buffer.from(GOLDEN_PLAINTEXT, 'utf8'))).toBe(true);
    expect(out.version).toBe('1.1');
    expect(out.label).toBeNull();
  });

  it('opens an indented inline 1.2 value and reports its vault-id label', async () => {
    const out = await decryptVault(GOLDEN_INLINE_1_2, password);
    expect(out.plaintext.toString('utf8')).toBe('hello');
    expect(out.version).toBe('1.2');
    expect(out.label).toBe('golden');
  });

  it('accepts CRLF line ends, a lone CR and trailing spaces', async () => {
    const crlf = GOLDEN_1_1.replaceAll('\n', '\r\n');
    expect((await decryptVault(crlf, password)).plaintext.toString()).toBe(GOLDEN_PLAINTEXT);
    const cr = GOLDEN_1_1.replaceAll('\n', '  \r');
    expect((await decryptVault(Buffer.from(cr), password)).plaintext.toString()).toBe(GOLDEN_PLAINTEXT);
  });

  it('reproduces the CLI output byte for byte given the same salt', async () => {
    const { salt } = parseVaultEnvelope(GOLDEN_1_1);
    expect(await encryptVault(GOLDEN_PLAINTEXT, password, { salt })).toBe(GOLDEN_1_1);
    const inline = parseVaultEnvelope(GOLDEN_INLINE_1_2);
    const again = await encryptVault('hello', password, { salt: inline.salt, label: 'golden' });
    expect(again).toBe(
      `${GOLDEN_INLINE_1_2.split('\n')
        .map((l) => l.trim())
        .join('\n')}\n`,
    );
  });

  it('leaves the caller’s password buffer alone', async () => {
    const mine = Buffer.from(GOLDEN_PASSWORD);
    await decryptVault(GOLDEN_1_1, mine);
    await encryptVault('x', mine);
    expect(mine.toString()).toBe(GOLDEN_PASSWORD);
  });
});

describe('decryptVault failures are typed and leak nothing', () => {
  it('a wrong password is WrongVaultPassword naming the source but not the password or plaintext', async () => {
    const e = await failure(
      decryptVault(GOLDEN_1_1, Buffer.from('not-the-password'), { source: 'vault.yml' }),
    );
    expect(e).toBeInstanceOf(WrongVaultPassword);
    expect((e as Error).message).toContain('vault.yml');
    expectUserFacing(e, 'not-the-password', GOLDEN_PASSWORD, '0123456789abcdef');
  });

  it('a tampered HMAC or ciphertext is refused like a wrong password', async () => {
    const badHmac = rewrap(GOLDEN_1_1, (inner) => {
      const [salt, hmac, ct] = inner.split('\n') as [string, string, string];
      return `${salt}\n${hmac.slice(0, 10)}${hmac[10] === '0' ? '1' : '0'}${hmac.slice(11)}\n${ct}`;
    });
    expect(await failure(decryptVault(badHmac, password))).toBeInstanceOf(WrongVaultPassword);
    const badData = rewrap(GOLDEN_1_1, (inner) => `${inner.slice(0, -1)}${inner.endsWith('0') ? '1' : '0'}`);
    expect(await failure(decryptVault(badData, password))).toBeInstanceOf(WrongVaultPassword);
  });

  it('a truncated body is CorruptVault', async () => {
    const lines = GOLDEN_1_1.trimEnd().split('\n');
    const cases = [
      `${lines.slice(0, -1).join('\n')}\n`, // last line lost
      GOLDEN_1_1.slice(0, -2), // last hex digit lost: odd hex
      `${lines[0]}\n`, // header only
      `${lines.slice(0, 2).join('\n')}\n`, // salt only
    ];
    for (const text of cases) {
      const e = await failure(decryptVault(text, password));
      expect(e).toBeInstanceOf(CorruptVault);
      expectUserFacing(e, GOLDEN_PASSWORD);
    }
  });

  it('odd or non-hex inner parts are CorruptVault', async () => {
    const oddSalt = rewrap(GOLDEN_1_1, (inner) => inner.slice(1));
    expect(await failure(decryptVault(oddSalt, password))).toBeInstanceOf(CorruptVault);
    const shortHmac = rewrap(GOLDEN_1_1, (inner) => inner.replace(/\n[0-9a-f]{2}/, '\n'));
    expect(await failure(decryptVault(shortHmac, password))).toBeInstanceOf(CorruptVault);
    const partialBlock = rewrap(GOLDEN_1_1, (inner) => inner.slice(0, -2));
    expect(await failure(decryptVault(partialBlock, password))).toBeInstanceOf(CorruptVault);
    const notHex = GOLDEN_1_1.replace('6232', '6z32');
    expect(await failure(decryptVault(notHex, password))).toBeInstanceOf(CorruptVault);
    const nonAscii = GOLDEN_1_1.replace('6232', '62é2');
    expect(await failure(decryptVault(nonAscii, password))).toBeInstanceOf(CorruptVault);
  });

  it('something else is NotAVault', async () => {
    for (const text of [
      '',
      'vault_matrix_registration_token: abc\n',
      Buffer.from([0, 255, 1]),
      '$ANSIBLE_VAULTS;1.1;AES256\n00\n',
    ]) {
      const e = await failure(decryptVault(text, password, { source: 'group_vars/all/vault.yml' }));
      expect(e).toBeInstanceOf(NotAVault);
      expectUserFacing(e, 'registration_token');
    }
  });

  it('another cipher or format version is UnsupportedVault', async () => {
    const body = GOLDEN_1_1.slice(GOLDEN_1_1.indexOf('\n'));
    for (const header of ['$ANSIBLE_VAULT;1.0;AES', '$ANSIBLE_VAULT;1.1;AES', '$ANSIBLE_VAULT;1.3;AES256']) {
      const e = await failure(decryptVault(`${header}${body}`, password));
      expect(e).toBeInstanceOf(UnsupportedVault);
      expectUserFacing(e, GOLDEN_PASSWORD);
    }
    expect(await failure(decryptVault(`$ANSIBLE_VAULT;1.1${body}`, password))).toBeInstanceOf(CorruptVault);
  });

  it('bad padding behind a valid HMAC is CorruptVault, not a wrong password', async () => {
    const salt = Buffer.alloc(32, 7);
    const derived = pbkdf2Sync(password, salt, 10_000, 80, 'sha256');
    const cipher = createCipheriv('aes-256-ctr', derived.subarray(0, 32), derived.subarray(64));
    const ciphertext = Buffer.concat([cipher.update(Buffer.alloc(16, 0)), cipher.final()]);
    const hmac = createHmac('sha256', derived.subarray(32, 64)).update(ciphertext).digest();
    const vault = formatVaultEnvelope({ label: null, salt, hmac, ciphertext });
    expect(await failure(decryptVault(vault, password))).toBeInstanceOf(CorruptVault);
  });

  it('an empty password is refused before any work', async () => {
    expect(await failure(decryptVault(GOLDEN_1_1, Buffer.alloc(0)))).toBeInstanceOf(InvalidInput);
    expect(await failure(encryptVault('x', Buffer.alloc(0)))).toBeInstanceOf(InvalidInput);
  });
});

describe('encryptVault', () => {
  it('writes the 1.1 header, 80-column lines and one trailing newline', async () => {
    for (const size of [0, 1, 15, 16, 17, 100, 4096]) {
      const text = await encryptVault(Buffer.alloc(size, 0x61), password);
      expect(text.endsWith('\n')).toBe(true);
      expect(text.endsWith('\n\n')).toBe(false);
      const [header, ...lines] = text.slice(0, -1).split('\n');
      expect(header).toBe('$ANSIBLE_VAULT;1.1;AES256');
      for (const line of lines.slice(0, -1)) expect(line).toMatch(/^[0-9a-f]{80}$/);
      expect(lines.at(-1)).toMatch(/^[0-9a-f]{1,80}$/);
      // salt(64 hex) \n hmac(64 hex) \n ciphertext: padded to the next whole block, always at least one pad byte.
      const padded = (Math.floor(size / 16) + 1) * 16;
      expect(lines.join('').length).toBe(2 * (64 + 1 + 64 + 1 + 2 * padded));
    }
  });

  it('writes 1.2 with the label, and 1.1 for the label "default" as ansible does', async () => {
    expect((await encryptVault('x', password, { label: 'prod' })).split('\n')[0]).toBe(
      '$ANSIBLE_VAULT;1.2;AES256;prod',
    );
    expect((await encryptVault('x', password, { label: 'default' })).split('\n')[0]).toBe(
      '$ANSIBLE_VAULT;1.1;AES256',
    );
  });

  it('refuses labels that would not survive the header, and plaintext that is already a vault', async () => {
    for (const label of ['', 'a;b', 'a b', 'clé', 'x\n']) {
      expect(await failure(encryptVault('x', password, { label }))).toBeInstanceOf(InvalidInput);
    }
    expect(await failure(encryptVault(GOLDEN_1_1, password))).toBeInstanceOf(InvalidInput);
    // Indented is not "already encrypted" for ansible, so not for us either.
    expect(await encryptVault(` ${GOLDEN_1_1}`, password)).toMatch(/^\$ANSIBLE_VAULT;1\.1;AES256\n/);
  });

  it('round-trips any bytes and label, with a fresh salt each time', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }),
        fc.option(fc.stringMatching(/^[!-:<-~]{1,20}$/), { nil: null }),
        async (bytes, label) => {
          const plain = Buffer.from(bytes);
          const text = await encryptVault(plain, password, { label });
          const out = await decryptVault(text, password);
          expect(out.plaintext.equals(plain)).toBe(true);
          expect(out.label).toBe(label === 'default' ? null : label);
        },
      ),
      { numRuns: sweep(25) },
    );
    const a = await encryptVault('same', password);
    const b = await encryptVault('same', password);
    expect(a).not.toBe(b);
  });
});

describe('prepareVaultSealer', () => {
  it('seals exactly what ansible-vault writes, with keys derived before the plaintext exists', async () => {
    const { salt } = parseVaultEnvelope(GOLDEN_1_1);
    const sealer = await prepareVaultSealer(password, { salt });
    expect(sealer.seal(GOLDEN_PLAINTEXT)).toBe(GOLDEN_1_1);
  });

  it('seals once: the same key and counter never encrypt a second plaintext', async () => {
    const sealer = await prepareVaultSealer(password);
    const first = sealer.seal('one', 'prod');
    expect((await decryptVault(first, password)).plaintext.toString()).toBe('one');
    expect(() => sealer.seal('two')).toThrow(/encrypts once/);
    const disposed = await prepareVaultSealer(password);
    disposed.dispose();
    expect(() => disposed.seal('three')).toThrow(/encrypts once/);
  });
});
