import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { SecretMissing } from '../errors';
import { expandHome } from '../profile/load';
import type { Profile } from '../profile/schema';
import type { SecretStore } from '../secrets/types';
import { decryptVault } from './codec';
import { VaultFileMissing, VaultNotConfigured } from './token-errors';
import { requireTopLevelKey } from './yaml-key';

/** Where the profile's vault is on this workstation. */
export interface VaultLocation {
  /** The workstation's checkout of the vault repository (absolute). */
  repo: string;
  /** The vault file (absolute) and as git names it (relative to the repo, `/`-separated). */
  file: string;
  fileInRepo: string;
  /** The variable that holds the registration token. */
  key: string;
  /** The deploy host's checkout of the same repository. */
  deployCheckout: string;
}

export function vaultLocation(profile: Profile): VaultLocation {
  if (!profile.vault) throw new VaultNotConfigured();
  const repo = expandHome(profile.vault.repo);
  const file = isAbsolute(profile.vault.file) ? profile.vault.file : join(repo, profile.vault.file);
  return {
    repo,
    file,
    fileInRepo: relative(repo, file).split('\\').join('/'),
    key: profile.vault.key,
    deployCheckout: profile.vault.deployCheckout,
  };
}

/** The vault file's bytes (ciphertext). */
export async function readVaultFile(location: VaultLocation): Promise<Buffer> {
  try {
    return await readFile(location.file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new VaultFileMissing(location.file);
    throw e;
  }
}

/** The vault password from the keychain; the caller zeroes it. Never asked for anywhere else. */
export async function vaultPassword(profile: Profile, secrets: SecretStore): Promise<Buffer> {
  const password = await secrets.get({ profile: profile.name, kind: 'vault-password' });
  if (!password || password.length === 0) throw new SecretMissing('vault-password');
  return password;
}

/**
 * Decrypts the vault in memory and returns the registration token. Everything decrypted is zeroed
 * before returning; the token itself is a string because its consumers (the clipboard, one IPC reply)
 * take strings.
 */
export async function readRegistrationToken(profile: Profile, secrets: SecretStore): Promise<string> {
  const location = vaultLocation(profile);
  const vaulttext = await readVaultFile(location);
  const password = await vaultPassword(profile, secrets);
  let plaintext: Buffer | null = null;
  try {
    plaintext = (await decryptVault(vaulttext, password, { source: location.fileInRepo })).plaintext;
    return requireTopLevelKey(plaintext, location.key, location.fileInRepo);
  } finally {
    password.fill(0);
    plaintext?.fill(0);
  }
}
