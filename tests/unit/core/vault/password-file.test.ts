import { describe, expect, it } from 'vitest';
import { trimVaultPasswordFile } from '../../../../src-main/core/vault/password-file';

describe('trimVaultPasswordFile (ansible FileVaultSecret: read().strip())', () => {
  it('strips ASCII whitespace on both ends and keeps the inside', () => {
    expect(trimVaultPasswordFile(Buffer.from(' \t correct horse\tbattery \r\n\v\f')).toString()).toBe(
      'correct horse\tbattery',
    );
    expect(trimVaultPasswordFile(Buffer.from('pw\n')).toString()).toBe('pw');
  });

  it('keeps non-ASCII whitespace and UTF-8 as bytes', () => {
    const raw = Buffer.from('\u00a0clé 🔑\u00a0\n', 'utf8');
    expect(trimVaultPasswordFile(raw).equals(Buffer.from('\u00a0clé 🔑\u00a0', 'utf8'))).toBe(true);
  });

  it('gives an empty buffer for a blank file and a copy the caller can zero separately', () => {
    expect(trimVaultPasswordFile(Buffer.from(' \n\r\n')).length).toBe(0);
    const raw = Buffer.from('secret\n');
    const trimmed = trimVaultPasswordFile(raw);
    raw.fill(0);
    expect(trimmed.toString()).toBe('secret');
  });
});
