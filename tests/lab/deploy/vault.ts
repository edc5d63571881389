import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedDir } from './artefact-cache';
import { mustRun } from './run';

/** Where the homelab-ansible repository keeps its vault, as in the runbook. */
export const VAULT_FILE = 'inventory/group_vars/all/vault.yml';
export const VAULT_TOKEN_KEY = 'vault_matrix_registration_token';

/**
 * The vault's plaintext: the registration token among other secrets, with comments and a UTF-8 value, so
 * that an app rewriting one key must keep the rest byte for byte. The token sits mid-file on purpose (the
 * runbook's rotation appends it at the end).
 */
export function vaultPlaintext(registrationToken: string): string {
  return `---
# homelab-ansible secrets (ansible-vault). View without scrollback:
#   ansible-vault view --vault-password-file ~/.vault_pass inventory/group_vars/all/vault.yml

# Proxmox API token for the dynamic inventory (root@pam!ansible)
vault_proxmox_api_token_secret: "6f1c2b9e-3d4a-4c8e-9b7f-0a5d2e8c1f43"

# Proxmox Backup Server (pbs-daily job)
vault_pbs_password: "correct-horse-battery-staple-17"

# Matrix: token-gated registration (see the runbook: Generate a new registration token)
${VAULT_TOKEN_KEY}: "${registrationToken}"
vault_matrix_postgres_password: 'p0stgr3s-lab-#-not-a-comment'

# Home Wi-Fi (UTF-8 on purpose)
vault_wifi_psk: "Grüße aus dem Keller – ключ 🔑"

vault_smtp_relay_password: >-
  folded-smtp-secret
  on-two-lines
`;
}

/**
 * Encrypts `plaintext` with the real `ansible-vault encrypt` CLI (password from a private temp file that is
 * removed after, plaintext on stdin: neither ever on a command line) and caches the result per
 * password+plaintext, because the CLI takes ~0.8 s.
 */
export async function encryptedVault(opts: {
  password: string;
  plaintext: string;
  cacheDir: string;
}): Promise<string> {
  const key = createHash('sha256').update(`${opts.password}\0${opts.plaintext}`).digest('hex').slice(0, 24);
  const dir = await cachedDir(join(opts.cacheDir, `vault-${key}`), async (tmp) => {
    const secretDir = await mkdtemp(join(tmpdir(), 'lab-vault-'));
    try {
      const passwordFile = join(secretDir, 'password');
      await writeFile(passwordFile, `${opts.password}\n`, { mode: 0o600 });
      await mustRun(
        'ansible-vault',
        ['encrypt', '--vault-password-file', passwordFile, '--output', join(tmp, 'vault.yml'), '-'],
        { input: opts.plaintext, env: { ...process.env, ANSIBLE_HOME: join(secretDir, 'ansible') } },
      );
    } finally {
      await rm(secretDir, { recursive: true, force: true });
    }
  });
  return readFile(join(dir, 'vault.yml'), 'utf8');
}
