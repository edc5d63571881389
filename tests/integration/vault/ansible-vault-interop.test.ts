import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptVault, encryptVault } from '../../../src-main/core/vault/codec';
import { parseVaultEnvelope } from '../../../src-main/core/vault/envelope';
import { trimVaultPasswordFile } from '../../../src-main/core/vault/password-file';

/**
 * Interop with the real `ansible-vault` (ansible-core) both ways. Each CLI call costs 0.5–0.8 s, so every
 * direction is one batched call over all cases, and the calls run side by side in beforeAll.
 */
const execFileAsync = promisify(execFile);

// Whitespace around it shows the codec's caller trims the file exactly as ansible-vault does.
const PASSWORD_FILE_CONTENT = '\t correct horse 🐎 battery \r\n';

const CASES: Record<string, Buffer> = {
  ascii: Buffer.from('vault_matrix_registration_token: "3f9a0c1d"\nvault_other: plain ascii\n'),
  utf8: Buffer.from('ключ: "🔑 clé — 日本語"\nfamily: 👩‍👩‍👧\n'),
  empty: Buffer.alloc(0),
  crlf: Buffer.from('a: 1\r\nb: "two"\r\n\r\nc: \r\n'),
  oneBlock: Buffer.from('abcdefghijklmnop'),
  noNewline: Buffer.from('token-without-newline'),
  large: randomBytes((256 << 10) + 3),
};
const LABELLED = ['utf8', 'empty', 'crlf'] as const;
const LABEL = 'lab';

let dir: string;
let passwordFile: string;
let password: Buffer;
const cli: {
  encrypted11: Record<string, string>;
  encrypted12: Record<string, string>;
  inline: string;
  decryptedOurs: Record<string, Buffer>;
  viewed: string;
} = { encrypted11: {}, encrypted12: {}, inline: '', decryptedOurs: {}, viewed: '' };

async function ansibleVault(args: string[], input?: string): Promise<string> {
  const run = execFileAsync('ansible-vault', args, {
    cwd: dir,
    env: { ...process.env, HOME: dir, ANSIBLE_NOCOLOR: '1' },
    maxBuffer: 64 << 20,
  });
  if (input !== undefined) run.child.stdin?.end(input);
  return (await run).stdout;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vault-interop-'));
  passwordFile = join(dir, 'vault-pass');
  await writeFile(passwordFile, PASSWORD_FILE_CONTENT, { mode: 0o600 });
  password = trimVaultPasswordFile(await readFile(passwordFile));

  const names = Object.keys(CASES);
  const path = (prefix: string, name: string) => join(dir, `${prefix}-${name}`);
  for (const [name, plain] of Object.entries(CASES)) {
    await writeFile(path('cli11', name), plain);
    await writeFile(path('ours11', name), await encryptVault(plain, password));
  }
  for (const name of LABELLED) {
    await writeFile(path('cli12', name), CASES[name]!);
    await writeFile(path('ours12', name), await encryptVault(CASES[name]!, password, { label: LABEL }));
  }
  await writeFile(path('view', 'utf8'), await encryptVault(CASES.utf8!, password));

  const pw = ['--vault-password-file', passwordFile];
  const [, , inline, , viewed] = await Promise.all([
    ansibleVault(['encrypt', ...pw, ...names.map((n) => path('cli11', n))]),
    ansibleVault([
      'encrypt',
      '--vault-id',
      `${LABEL}@${passwordFile}`,
      ...LABELLED.map((n) => path('cli12', n)),
    ]),
    ansibleVault(['encrypt_string', ...pw, '--stdin-name', 'k'], CASES.utf8!.toString('utf8')),
    // One --vault-id secret opens both our 1.1 and our 1.2 files (ansible tries every known secret).
    ansibleVault([
      'decrypt',
      '--vault-id',
      `${LABEL}@${passwordFile}`,
      ...names.map((n) => path('ours11', n)),
      ...LABELLED.map((n) => path('ours12', n)),
    ]),
    ansibleVault(['view', ...pw, path('view', 'utf8')]),
  ]);
  cli.inline = inline;
  cli.viewed = viewed;
  for (const name of names) {
    cli.encrypted11[name] = await readFile(path('cli11', name), 'latin1');
    cli.decryptedOurs[`11-${name}`] = await readFile(path('ours11', name));
  }
  for (const name of LABELLED) {
    cli.encrypted12[name] = await readFile(path('cli12', name), 'latin1');
    cli.decryptedOurs[`12-${name}`] = await readFile(path('ours12', name));
  }
});

afterAll(async () => {
  password?.fill(0);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ansible-vault CLI → our codec', () => {
  it('the password file the test made is private', async () => {
    expect((await stat(passwordFile)).mode & 0o777).toBe(0o600);
  });

  it.each(Object.keys(CASES))('decrypts the CLI’s 1.1 vault of the %s case byte for byte', async (name) => {
    const text = cli.encrypted11[name]!;
    expect(text.split('\n')[0]).toBe('$ANSIBLE_VAULT;1.1;AES256');
    const out = await decryptVault(text, password);
    expect(out.plaintext.equals(CASES[name]!)).toBe(true);
    expect(out.label).toBeNull();
    // Same salt → the very bytes the CLI wrote: header, wrapping and trailing newline included.
    expect(await encryptVault(out.plaintext, password, { salt: parseVaultEnvelope(text).salt })).toBe(text);
  });

  it.each(LABELLED)('decrypts the CLI’s 1.2 vault (--vault-id label@file) of the %s case', async (name) => {
    const text = cli.encrypted12[name]!;
    expect(text.split('\n')[0]).toBe(`$ANSIBLE_VAULT;1.2;AES256;${LABEL}`);
    const out = await decryptVault(text, password);
    expect(out.plaintext.equals(CASES[name]!)).toBe(true);
    expect(out.label).toBe(LABEL);
    const again = await encryptVault(out.plaintext, password, {
      salt: parseVaultEnvelope(text).salt,
      label: LABEL,
    });
    expect(again).toBe(text);
  });

  it('decrypts an indented inline value from encrypt_string', async () => {
    const [first, ...block] = cli.inline.trimEnd().split('\n');
    expect(first).toBe('k: !vault |');
    expect(block[0]).toMatch(/^ +\$ANSIBLE_VAULT;1\.1;AES256$/);
    const out = await decryptVault(block.join('\n'), password);
    expect(out.plaintext.equals(CASES.utf8!)).toBe(true);
  });
});

describe('our codec → ansible-vault CLI', () => {
  it.each(Object.keys(CASES))(
    '`ansible-vault decrypt` gives back the %s case byte for byte (1.1)',
    (name) => {
      expect(cli.decryptedOurs[`11-${name}`]!.equals(CASES[name]!)).toBe(true);
    },
  );

  it.each(LABELLED)(
    '`ansible-vault decrypt --vault-id` gives back the %s case byte for byte (1.2)',
    (name) => {
      expect(cli.decryptedOurs[`12-${name}`]!.equals(CASES[name]!)).toBe(true);
    },
  );

  it('`ansible-vault view` shows the UTF-8 plaintext unchanged', () => {
    expect(cli.viewed).toBe(CASES.utf8!.toString('utf8'));
  });
});
