import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptVault } from '../../../src-main/core/vault/codec';
import { readTopLevelKey } from '../../../src-main/core/vault/yaml-key';
import { VAULT_FILE, vaultPlaintext } from '../../lab/deploy/vault';
import { testChild } from '../../support/test-child';
import { git, startTokenLab, type TokenLab } from './token-lab';

/**
 * SIGKILL at every step boundary of token.rotate (and inside the atomic write), in a child process
 * against the lab's real files: each time the vault must hold either the token from before or a complete
 * new one, every other byte unchanged, and the real ansible-vault CLI must open it (every vault the kills
 * left, kept aside, in one run at the end: a run costs ~0.4 s of CPU). Then the recovery a user would do —
 * roll back, or nothing once pushed — leaves the repository clean, and the next rotation takes over the
 * dead process's lock.
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

/** A vault as a kill left it: the file's bytes and its plaintext as the app's codec reads it. */
interface Left {
  point: string;
  vault: Buffer;
  plaintext: string;
}

/** The vault now, read by the app's codec: a whole vault with the token from before or a new one. */
async function vaultNow(point: string): Promise<Left & { token: string }> {
  const vault = await readFile(join(t.lab.repos.vaultWorkstation, VAULT_FILE));
  const plaintext = (await decryptVault(vault, Buffer.from(t.lab.secrets.vaultPassword))).plaintext.toString(
    'utf8',
  );
  const token = readTopLevelKey(Buffer.from(plaintext), 'vault_matrix_registration_token') ?? '';
  expect(token, point).toMatch(/^[0-9a-f]{64}$/);
  expect(plaintext, point).toBe(vaultPlaintext(token));
  return { point, vault, plaintext, token };
}

/** The real ansible-vault CLI opens every vault left, each to the plaintext the codec read. */
async function ansibleVaultOpens(left: Left[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'rotation-kill-'));
  try {
    const files = left.map((_, i) => join(dir, `${i}.yml`));
    await Promise.all(left.map((l, i) => writeFile(files[i] as string, l.vault)));
    const viewed = await t.view(files);
    expect(viewed.code, viewed.stderr).toBe(0);
    expect(viewed.plaintext).toBe(left.map((l) => l.plaintext).join(''));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('killing a rotation at any step boundary', () => {
  it('always leaves a vault the real ansible-vault opens, and a state the user can recover from', async () => {
    const repo = t.lab.repos.vaultWorkstation;
    const folder = dirname(join(repo, VAULT_FILE));
    const left: Left[] = [];
    for (const point of POINTS) {
      const { token: before } = await vaultNow(point);
      const headBefore = await git(repo, 'rev-parse', 'HEAD');
      const { paused, output } = await killAt(point);
      expect(paused, `${point}: ${output}`).toBe(true);

      const { token: after, ...kept } = await vaultNow(point);
      left.push(kept);
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
        expect((await vaultNow(point)).token, point).toBe(before);
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
    const { token: _final, ...last } = await vaultNow('after the final rotation');
    await ansibleVaultOpens([...left, last]);
  }, 240_000);
});
