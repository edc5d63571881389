import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptVault } from '../../../src-main/core/vault/codec';
import { readTopLevelKey } from '../../../src-main/core/vault/yaml-key';
import { VAULT_FILE, vaultPlaintext } from '../../lab/deploy/vault';
import { testChild } from '../../support/test-child';
import { git, startTokenLab, type TokenLab } from './token-lab';

/**
 * SIGKILL at every step boundary of token.rotate (and inside the atomic write), in a child process
 * against the lab's real files: each time the real ansible-vault CLI must open the vault, holding either
 * the token from before or a complete new one, every other byte unchanged. Then the recovery a user would
 * do — roll back, or nothing once pushed — leaves the repository clean, and the next rotation takes over
 * the dead process's lock.
 */
const CHILD = testChild(new URL('./rotation-child.ts', import.meta.url));

const POINTS = [
  'step:lock',
  'step:precheck',
  'step:decrypt',
  'step:edit',
  'step:encrypt',
  'step:backup',
  'output:Wrote the new vault to a temporary file',
  'output:Renamed it over',
  'step:write',
  'step:verify',
  'step:commit',
  'step:push',
  'step:pull-deploy',
  'step:wipe',
];

let t: TokenLab;

beforeAll(async () => {
  t = await startTokenLab();
});

afterAll(async () => {
  await t?.stop();
});

/** Starts the child, waits until it paused at `point`, kills it with SIGKILL. */
function killAt(point: string): Promise<{ paused: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, t.profilePath, point], {
      env: process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let paused = false;
    const onData = (c: Buffer) => {
      output += c.toString('utf8');
      if (!paused && output.includes(`PAUSED ${point}\n`)) {
        paused = true;
        child.kill('SIGKILL');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ paused, output });
    });
    child.stdin.end(
      JSON.stringify({
        vaultPassword: t.lab.secrets.vaultPassword,
        sudoPassword: t.lab.secrets.sudoPassword,
      }),
    );
  });
}

/** The token in the vault, read by the real ansible-vault CLI (after a kill) or the app's codec (between). */
async function vaultToken(reader: 'ansible-vault' | 'codec'): Promise<string> {
  let plaintext: string;
  if (reader === 'ansible-vault') {
    const viewed = await t.view();
    expect(viewed.code, viewed.stderr).toBe(0);
    plaintext = viewed.plaintext;
  } else {
    const file = await readFile(join(t.lab.repos.vaultWorkstation, VAULT_FILE));
    plaintext = (await decryptVault(file, Buffer.from(t.lab.secrets.vaultPassword))).plaintext.toString(
      'utf8',
    );
  }
  const token = readTopLevelKey(Buffer.from(plaintext), 'vault_matrix_registration_token') ?? '';
  expect(token).toMatch(/^[0-9a-f]{64}$/);
  expect(plaintext).toBe(vaultPlaintext(token));
  return token;
}

describe('killing a rotation at any step boundary', () => {
  it('always leaves a vault the real ansible-vault opens, and a state the user can recover from', async () => {
    const repo = t.lab.repos.vaultWorkstation;
    const folder = dirname(join(repo, VAULT_FILE));
    for (const point of POINTS) {
      const before = await vaultToken('codec');
      const headBefore = await git(repo, 'rev-parse', 'HEAD');
      const { paused, output } = await killAt(point);
      expect(paused, `${point}: ${output}`).toBe(true);

      const after = await vaultToken('ansible-vault');
      const written = ![
        'step:lock',
        'step:precheck',
        'step:decrypt',
        'step:edit',
        'step:encrypt',
        'step:backup',
        'output:Wrote the new vault to a temporary file',
      ].includes(point);
      expect(after === before, `${point}: the vault should ${written ? '' : 'not '}have the new token`).toBe(
        !written,
      );
      // A kill between writing the temp file and renaming it leaves that file (ciphertext only) behind.
      const temps = (await readdir(folder)).filter((f) => f.endsWith('.tmp'));
      expect(temps.length, point).toBe(point === 'output:Wrote the new vault to a temporary file' ? 1 : 0);

      const undo = await t.run('token.rollback');
      const pushed = ['step:push', 'step:pull-deploy', 'step:wipe'].includes(point);
      if (pushed) {
        expect(undo.state, point).toBe('failed');
        expect(undo.sentence).toContain('already on origin/main');
        expect(await git(repo, 'rev-parse', 'HEAD')).toBe(
          await git(t.lab.repos.vaultRemote, 'rev-parse', 'main'),
        );
      } else {
        expect(undo.state, `${point}: ${undo.sentence}`).toBe('ok');
        expect(await git(repo, 'rev-parse', 'HEAD'), point).toBe(headBefore);
        expect(await vaultToken('codec'), point).toBe(before);
      }
      expect(await git(repo, 'status', '--porcelain', '--untracked-files=no'), point).toBe('');
    }

    // The next rotation takes over whatever lock the last kill left and finishes.
    const final = await t.run('token.rotate', { apply: false });
    expect(final.state, final.sentence ?? '').toBe('ok');
    expect((await readdir(folder)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const head = await git(repo, 'rev-parse', 'HEAD');
    expect(await git(t.lab.repos.vaultRemote, 'rev-parse', 'main')).toBe(head);
    expect(await git(t.lab.repos.vaultDeploy, 'rev-parse', 'HEAD')).toBe(head);
    await vaultToken('ansible-vault');
  }, 240_000);
});
