import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VaultKeyMissing, VaultNotEditable } from '../../../../src-main/core/vault/token-errors';
import {
  checkKeyEdit,
  readTopLevelKey,
  replaceTopLevelKey,
  requireTopLevelKey,
} from '../../../../src-main/core/vault/yaml-key';
import { sweep } from '../../../support/sweep';

const KEY = 'vault_matrix_registration_token';
const NEW = `${KEY}: "${'ab'.repeat(32)}"`;
const b = (s: string) => Buffer.from(s, 'utf8');
const replace = (s: string) => replaceTopLevelKey(b(s), KEY, b(NEW)).toString('utf8');

/** The lab's vault layout: the token mid-file among comments, quoting styles, UTF-8 and a folded scalar. */
const VAULT = `---
# homelab-ansible secrets
vault_proxmox_api_token_secret: "6f1c2b9e"

# Matrix: token-gated registration
${KEY}: "old-token"
vault_matrix_postgres_password: 'p0stgr3s-#-not-a-comment'

vault_wifi_psk: "Grüße – ключ 🔑"

vault_smtp_relay_password: >-
  folded-smtp-secret
  on-two-lines
`;

describe('replaceTopLevelKey', () => {
  it('replaces the key line in place and leaves every other byte as it was', () => {
    const out = replace(VAULT);
    expect(out).toBe(VAULT.replace(`${KEY}: "old-token"`, NEW));
  });

  it('keeps CRLF line endings, on the replaced line too', () => {
    const crlf = VAULT.replace(/\n/g, '\r\n');
    expect(replace(crlf)).toBe(crlf.replace(`${KEY}: "old-token"`, NEW));
  });

  it('appends the key when it is absent, adding a missing final newline first', () => {
    expect(replace('a: 1\nb: 2\n')).toBe(`a: 1\nb: 2\n${NEW}\n`);
    expect(replace('a: 1\nb: 2')).toBe(`a: 1\nb: 2\n${NEW}\n`);
    expect(replace('a: 1\r\nb: 2')).toBe(`a: 1\r\nb: 2\r\n${NEW}\r\n`);
    expect(replace('')).toBe(`${NEW}\n`);
  });

  it('appends before a final document-end marker', () => {
    expect(replace('---\na: 1\n...\n')).toBe(`---\na: 1\n${NEW}\n...\n`);
  });

  it('replaces a block value with its continuation lines, keeping the blank line after it', () => {
    const text = `a: 1\n${KEY}: |\n  line one\n\n  line two\n\nb: 2\n`;
    expect(replace(text)).toBe(`a: 1\n${NEW}\n\nb: 2\n`);
  });

  it('replaces the first duplicate and removes the later ones (PyYAML would use the last)', () => {
    const text = `${KEY}: one\na: 1\n${KEY}: two\nb: 2\n`;
    expect(replace(text)).toBe(`${NEW}\na: 1\nb: 2\n`);
  });

  it('matches quoted keys and a space before the colon, but not longer keys, prefixes or comments', () => {
    expect(replace(`"${KEY}": x\n`)).toBe(`${NEW}\n`);
    expect(replace(`'${KEY}' : x\n`)).toBe(`${NEW}\n`);
    const others = `${KEY}_old: x\n# ${KEY}: y\n  ${KEY}: nested\nx${KEY}: z\n${KEY}:not-a-key\n`;
    expect(replace(others)).toBe(`${others}${NEW}\n`);
  });

  it('leaves the rest of any vars file byte-identical (property)', () => {
    const otherKey = fc.stringMatching(/^[a-z][a-z0-9_]{0,12}$/).filter((k) => !k.startsWith(KEY));
    const value = fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s));
    const line = fc.oneof(
      fc.tuple(otherKey, value).map(([k, v]) => `${k}: ${v}`),
      fc.string({ maxLength: 20 }).map((s) => `# ${s.replace(/[\r\n]/g, ' ')}`),
      fc.constant(''),
    );
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 8 }),
        fc.array(line, { maxLength: 8 }),
        fc.boolean(),
        (before, after, crlf) => {
          const eol = crlf ? '\r\n' : '\n';
          const head = before.map((l) => l + eol).join('');
          const tail = after.map((l) => l + eol).join('');
          const out = replace(`${head}${KEY}: "old"${eol}${tail}`);
          expect(out).toBe(`${head}${NEW}${eol}${tail}`);
        },
      ),
      { numRuns: sweep(100) },
    );
  });
});

describe('readTopLevelKey', () => {
  it('reads the value as Ansible would: quoted, plain, escaped, folded', () => {
    expect(readTopLevelKey(b(VAULT), KEY)).toBe('old-token');
    expect(readTopLevelKey(b(`${KEY}: plain-token # comment\n`), KEY)).toBe('plain-token');
    expect(readTopLevelKey(b(`${KEY}: "a\\tb"\n`), KEY)).toBe('a\tb');
    expect(readTopLevelKey(b(`${KEY}: >-\n  folded\n  token\n`), KEY)).toBe('folded token');
    expect(readTopLevelKey(b(`${KEY}: 12345\n`), KEY)).toBe('12345');
  });

  it('takes the last duplicate and resolves aliases through the whole document', () => {
    expect(readTopLevelKey(b(`${KEY}: one\n${KEY}: two\n`), KEY)).toBe('two');
    expect(readTopLevelKey(b(`base: &t shared-token\n${KEY}: *t\n`), KEY)).toBe('shared-token');
  });

  it('gives null for a missing or empty key, and requireTopLevelKey names file and key', () => {
    expect(readTopLevelKey(b('a: 1\n'), KEY)).toBeNull();
    expect(readTopLevelKey(b(`${KEY}:\n`), KEY)).toBeNull();
    const missing = (() => {
      try {
        requireTopLevelKey(b('a: 1\n'), KEY, 'inventory/vault.yml');
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toBeInstanceOf(VaultKeyMissing);
    expect((missing as Error).message).toBe(`The vault inventory/vault.yml has no value for ${KEY}.`);
  });

  it('refuses a mapping where a token should be', () => {
    expect(() => readTopLevelKey(b(`${KEY}:\n  nested: x\n`), KEY)).toThrow(VaultNotEditable);
  });
});

describe('checkKeyEdit', () => {
  it('accepts an edit that only changes the key', () => {
    const after = replaceTopLevelKey(b(VAULT), KEY, b(NEW));
    expect(() => checkKeyEdit(b(VAULT), after, KEY, 'ab'.repeat(32), 'v')).not.toThrow();
  });

  it('refuses when the key does not read back, when other variables change, or when YAML breaks', () => {
    const wrongValue = replaceTopLevelKey(b(VAULT), KEY, b(`${KEY}: "other"`));
    expect(() => checkKeyEdit(b(VAULT), wrongValue, KEY, 'ab'.repeat(32), 'v')).toThrow(
      /would not read back/,
    );
    // A block value whose continuation swallowed the next variable would change it.
    const before = b(`${KEY}: "x"\nkeep: 1\n`);
    expect(() => checkKeyEdit(before, b(`${NEW}\n`), KEY, 'ab'.repeat(32), 'v')).toThrow(/other than/);
    expect(() => checkKeyEdit(b('a: 1\n'), b(`a: [1\n${NEW}\n`), KEY, 'ab'.repeat(32), 'v')).toThrow(
      VaultNotEditable,
    );
  });

  it('refuses a document that is not a mapping', () => {
    expect(() => checkKeyEdit(b('- a\n'), b(`- a\n${NEW}\n`), KEY, 'ab'.repeat(32), 'v')).toThrow(
      VaultNotEditable,
    );
  });
});
