// Token rotation on the vault file: the app's in-process transaction against the runbook's CLI sequence,
// on the same file in the same run. Ours (the rotation's own functions): read, decrypt (deriving the new
// vault's keys meanwhile), replace the key line, check the edit, encrypt, write through a fsynced temp
// file while decrypting those bytes to verify them (the rename waits for that), read back and compare. The runbook's: `ansible-vault decrypt --output`,
// `sed -i`, append the line, `ansible-vault encrypt --output`.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decryptVault, encryptVault, prepareVaultSealer } from '../../src-main/core/vault/codec';
import { writeVerifiedVault } from '../../src-main/core/vault/rotation';
import { checkKeyEdit, replaceTopLevelKey } from '../../src-main/core/vault/yaml-key';
import { vaultPlaintext } from '../lab/deploy/vault';
import type { Measure } from './run';

const execFileAsync = promisify(execFile);
const KEY = 'vault_matrix_registration_token';
const PASSWORD = 'bench-vault-password';
const CLI_RUNS = 7;
const OURS_PER_CLI = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function oursOnce(file: string, password: Buffer): Promise<void> {
  const token = Buffer.from(randomBytes(32).toString('hex'), 'latin1');
  // As the rotation's decrypt step: the new vault's keys are derived while the old one is opened.
  const [{ plaintext, label }, sealer] = await Promise.all([
    decryptVault(await readFile(file), password),
    prepareVaultSealer(password),
  ]);
  const edited = replaceTopLevelKey(
    plaintext,
    KEY,
    Buffer.concat([Buffer.from(`${KEY}: "`), token, Buffer.from('"')]),
  );
  checkKeyEdit(plaintext, edited, KEY, token.toString('latin1'), 'bench');
  const vaulttext = sealer.seal(edited, label);
  await writeVerifiedVault(file, vaulttext, { password, expected: edited, key: KEY, token, source: 'bench' });
  if (!(await readFile(file)).equals(Buffer.from(vaulttext, 'latin1')))
    throw new Error('the vault does not read back');
  for (const b of [plaintext, edited, token]) b.fill(0);
}

/** The runbook's sequence, with its /dev/shm work file, in one bash. */
const RUNBOOK_SEQUENCE = `set -euo pipefail
VAULT=$1 PASSFILE=$2 WORK=$3
ansible-vault decrypt --vault-password-file "$PASSFILE" --output "$WORK" "$VAULT"
chmod 0600 "$WORK"
sed -i '/^${KEY}:/d' "$WORK"
VAL=$(openssl rand -hex 32)
printf '${KEY}: "%s"\\n' "$VAL" >> "$WORK"
ansible-vault encrypt --vault-password-file "$PASSFILE" --output "$VAULT" "$WORK"
shred -u "$WORK"
`;

export default async function bench(): Promise<Measure[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-vault-rotate-'));
  const shm = existsSync('/dev/shm') ? await mkdtemp('/dev/shm/bench-vault-rotate-') : dir;
  try {
    const file = join(dir, 'vault.yml');
    const password = Buffer.from(PASSWORD);
    await writeFile(file, await encryptVault(vaultPlaintext(randomBytes(32).toString('hex')), password));
    const passFile = join(dir, 'vault_pass');
    await writeFile(passFile, `${PASSWORD}\n`, { mode: 0o600 });
    const env = { ...process.env, ANSIBLE_HOME: join(dir, 'ansible') };

    // Interleaved, so both sides meet the same machine load.
    await oursOnce(file, password);
    const ours: number[] = [];
    const cli: number[] = [];
    for (let i = 0; i < CLI_RUNS; i++) {
      let start = performance.now();
      await execFileAsync(
        'bash',
        ['-c', RUNBOOK_SEQUENCE, 'runbook', file, passFile, join(shm, 'vault.work')],
        {
          env,
        },
      );
      cli.push(performance.now() - start);
      for (let j = 0; j < OURS_PER_CLI; j++) {
        start = performance.now();
        await oursOnce(file, password);
        ours.push(performance.now() - start);
      }
    }
    // Both sides left a vault the other can read: the app's codec opens what ansible-vault wrote last.
    (await decryptVault(await readFile(file), password)).plaintext.fill(0);

    const oursMs = median(ours);
    const cliMs = median(cli);
    return [
      {
        name: 'vault-rotate',
        ours_ms: Math.round(oursMs * 100) / 100,
        cli_ms: Math.round(cliMs * 10) / 10,
        ratio: Math.round((cliMs / oursMs) * 10) / 10,
      },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (shm !== dir) await rm(shm, { recursive: true, force: true });
  }
}
