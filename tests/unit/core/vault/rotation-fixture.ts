import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Profile } from '../../../../src-main/core/profile/schema';
import { encryptVault } from '../../../../src-main/core/vault/codec';
import { deployAt, MemorySecrets, testProfile } from '../runbook/test-profile';

/**
 * A vault repository as the runbook keeps it, made of real git: the workstation's checkout, its bare
 * remote and the deploy host's clone, all in a temp folder. The vault is encrypted with the app's own
 * codec (the interop with ansible-vault is proven in tests/integration).
 */
const execFileAsync = promisify(execFile);

export const VAULT_FILE = 'inventory/group_vars/all/vault.yml';
export const TOKEN_KEY = 'vault_matrix_registration_token';
export const OLD_TOKEN = 'c0ffee'.repeat(10);
export const PASSWORD = 'unit-vault-password';

export function vaultText(token = OLD_TOKEN): string {
  return `---
# homelab-ansible secrets
vault_proxmox_api_token_secret: "6f1c2b9e-3d4a"

# Matrix: token-gated registration
${TOKEN_KEY}: "${token}"
vault_wifi_psk: "Grüße – ключ 🔑"
vault_smtp_relay_password: >-
  folded-smtp-secret
  on-two-lines
`;
}

/** git that ignores the machine's global configuration, as the lab's does. */
export const gitEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
} as const;

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, env: { ...process.env, ...gitEnv } });
  return stdout.trim();
}

export interface VaultRepo {
  root: string;
  workstation: string;
  remote: string;
  deploy: string;
  vaultPath: string;
  profile: Profile;
  secrets: MemorySecrets;
  cleanup(): Promise<void>;
}

export async function makeVaultRepo(
  options: { label?: string; plaintext?: string; password?: string } = {},
): Promise<VaultRepo> {
  const root = await mkdtemp(join(tmpdir(), 'rotation-unit-'));
  const workstation = join(root, 'homelab-ansible');
  const remote = join(root, 'remote.git');
  const deploy = join(root, 'deploy', 'homelab-ansible');
  const vaultPath = join(workstation, VAULT_FILE);
  await mkdir(dirname(vaultPath), { recursive: true });
  await git(root, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  await git(root, 'init', '--quiet', '--initial-branch=main', workstation);
  await git(workstation, 'config', 'user.name', 'Unit Test');
  await git(workstation, 'config', 'user.email', 'unit@lab.test');
  await writeFile(join(workstation, 'README.md'), '# homelab-ansible\n');
  await writeFile(
    vaultPath,
    await encryptVault(options.plaintext ?? vaultText(), Buffer.from(options.password ?? PASSWORD), {
      label: options.label ?? null,
    }),
    { mode: 0o640 },
  );
  await git(workstation, 'add', '--all');
  await git(workstation, 'commit', '--quiet', '-m', 'Initial vault');
  await git(workstation, 'remote', 'add', 'origin', remote);
  await git(workstation, 'push', '--quiet', '-u', 'origin', 'main');
  await mkdir(dirname(deploy), { recursive: true });
  await git(root, 'clone', '--quiet', remote, deploy);

  // The playbook checkout, with the vars.yml every apply lints first (pre-flight): one without findings.
  const playbook = join(root, 'matrix-deploy');
  await mkdir(join(playbook, 'inventory/host_vars/matrix.lab.test'), { recursive: true });
  await writeFile(
    join(playbook, 'inventory/host_vars/matrix.lab.test/vars.yml'),
    [
      'matrix_tuwunel_version: v1.7.0',
      "matrix_tuwunel_config_allowed_remote_server_names: ['^lab\\.test$']",
      'matrix_tuwunel_environment_variables_extension: |',
      '  TUWUNEL_ALLOW_LEGACY_MEDIA=true',
      '',
    ].join('\n'),
  );
  const profile = testProfile({
    vault: { repo: workstation, file: VAULT_FILE, key: TOKEN_KEY, deployCheckout: deploy },
    deploy: deployAt(playbook),
  });
  const secrets = new MemorySecrets();
  await secrets.set({ profile: profile.name, kind: 'vault-password' }, PASSWORD);
  return {
    root,
    workstation,
    remote,
    deploy,
    vaultPath,
    profile,
    secrets,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
