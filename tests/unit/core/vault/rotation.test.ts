import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CATALOG } from '../../../../src-main/core/runbook/catalog';
import { MaintenanceStore, type MaintenanceWindow } from '../../../../src-main/core/runbook/maintenance';
import {
  ROTATION_UNAPPLIED_ALERT,
  ROTATION_UNPUSHED_ALERT,
} from '../../../../src-main/core/runbook/rotation-alerts';
import type { RunRecord } from '../../../../src-main/core/runbook/run-record';
import { Runbook } from '../../../../src-main/core/runbook/runner';
import { createTokenActions } from '../../../../src-main/core/runbook/token-actions';
import { shellQuote } from '../../../../src-main/core/ssh/quote';
import { decryptVault, encryptVault } from '../../../../src-main/core/vault/codec';
import { WrongVaultPassword } from '../../../../src-main/core/vault/errors';
import {
  ROTATION_COMMIT_MESSAGE,
  TokenRotation,
  writeVerifiedVault,
} from '../../../../src-main/core/vault/rotation';
import {
  RotationInProgress,
  VaultNotConfigured,
  VaultNotEditable,
} from '../../../../src-main/core/vault/token-errors';
import { readTopLevelKey } from '../../../../src-main/core/vault/yaml-key';
import { LocalExec } from '../runbook/local-exec';
import { deployAt, testProfile } from '../runbook/test-profile';
import {
  git,
  gitEnv,
  makeVaultRepo,
  OLD_TOKEN,
  PASSWORD,
  TOKEN_KEY,
  VAULT_FILE,
  type VaultRepo,
  vaultText,
} from './rotation-fixture';

/**
 * The rotation transaction and its rollback as runbook actions, on real git repositories in a temp
 * folder (workstation checkout, bare remote, the deploy host's clone reached through a local bash).
 */

let exec: LocalExec;
let repo: VaultRepo;
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  for (const [k, v] of Object.entries(gitEnv)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  exec = await LocalExec.create();
});

afterAll(async () => {
  await exec?.cleanup();
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

beforeEach(async () => {
  repo = await makeVaultRepo();
});

afterEach(async () => {
  await repo?.cleanup();
});

function runbook(r: VaultRepo = repo): Runbook {
  return new Runbook({
    profile: r.profile,
    exec,
    maintenance: new MaintenanceStore(),
    secrets: r.secrets,
    catalog: createTokenActions({ secrets: r.secrets, mirrorWaitMs: 1500 }),
    settings: { pollIntervalMs: 200 },
  });
}

async function rotate(rb = runbook()): Promise<RunRecord> {
  const run = await rb.start('token.rotate', { apply: false }, { confirmed: true });
  return run.done;
}

async function rollback(rb = runbook(), runId?: string): Promise<RunRecord> {
  const run = await rb.start('token.rollback', runId ? { runId } : {});
  return run.done;
}

async function vaultToken(path = repo.vaultPath): Promise<{ token: string | null; plaintext: string }> {
  const { plaintext } = await decryptVault(await readFile(path), Buffer.from(PASSWORD));
  return { token: readTopLevelKey(plaintext, TOKEN_KEY), plaintext: plaintext.toString('utf8') };
}

const stepStates = (run: RunRecord) => Object.fromEntries(run.steps.map((s) => [s.id, s.state]));

describe('token.rotate', () => {
  it('rotates, keeps a backup, commits, pushes and pulls on the deploy host, without the token in any output', async () => {
    const before = await readFile(repo.vaultPath);
    const headBefore = await git(repo.workstation, 'rev-parse', 'HEAD');
    const rb = runbook();
    const outputs: string[] = [];
    rb.events.on('step-output', (e) => outputs.push(e.text));
    const run = await rotate(rb);
    expect(run.state, run.sentence ?? '').toBe('ok');
    expect(run.steps.every((s) => s.state === 'ok' || (s.id === 'apply' && s.state === 'pending'))).toBe(
      true,
    );

    const { token, plaintext } = await vaultToken();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(token).not.toBe(OLD_TOKEN);
    expect(plaintext).toBe(vaultText(token ?? ''));
    // The file keeps its permissions and is what ansible-vault writes: header, 80 columns, final newline.
    const text = await readFile(repo.vaultPath, 'utf8');
    expect(text.startsWith('$ANSIBLE_VAULT;1.1;AES256\n')).toBe(true);
    expect(
      text
        .split('\n')
        .slice(1, -1)
        .every((l) => l.length <= 80),
    ).toBe(true);

    const files = await readdir(join(repo.workstation, 'inventory/group_vars/all'));
    const backups = files.filter((f) => /^vault\.yml\.bak\.\d+$/.test(f));
    expect(backups).toHaveLength(1);
    expect(files.filter((f) => f !== 'vault.yml' && !backups.includes(f))).toEqual([]);
    expect(
      (await readFile(join(repo.workstation, 'inventory/group_vars/all', backups[0] ?? ''))).equals(before),
    ).toBe(true);

    expect(await git(repo.workstation, 'log', '-1', '--format=%s')).toBe(ROTATION_COMMIT_MESSAGE);
    expect(await git(repo.workstation, 'rev-parse', 'HEAD^')).toBe(headBefore);
    expect(await git(repo.workstation, 'diff', '--name-only', 'HEAD^', 'HEAD')).toBe(
      'inventory/group_vars/all/vault.yml',
    );
    const head = await git(repo.workstation, 'rev-parse', 'HEAD');
    expect(await git(repo.remote, 'rev-parse', 'main')).toBe(head);
    expect(await git(repo.deploy, 'rev-parse', 'HEAD')).toBe(head);
    expect(exec.log.at(-1)?.command).toContain(`git merge-base --is-ancestor ${head} HEAD`);

    const everything = JSON.stringify(run) + outputs.join('');
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(OLD_TOKEN);
    expect(everything).not.toContain(PASSWORD);
    const lockDir = join(repo.workstation, '.git', 'homeserver-tray');
    expect(await readdir(lockDir)).toEqual(['rotation.json']);
    // Pulled on the deploy host and not applied (apply=false): every process reads that the token is not live.
    expect(JSON.parse(await readFile(join(lockDir, 'rotation.json'), 'utf8'))).toMatchObject({
      runId: run.id,
      stage: 'pulled',
      writer: { pid: process.pid },
      commit: head,
      previousHead: headBefore,
      upstream: 'origin/main',
    });
  });

  it('plans the same steps as a dry run without touching anything', async () => {
    const before = await readFile(repo.vaultPath);
    const plan = await runbook().plan('token.rotate', { apply: 'yes' });
    expect(plan.danger).toBe('disruptive');
    expect(plan.locks).toEqual(['deploy', 'homeserver']);
    expect(plan.steps.map((s) => s.id)).toEqual([
      'lock',
      'precheck',
      'decrypt',
      'edit',
      'encrypt',
      'backup',
      'write',
      'verify',
      'commit',
      'push',
      'pull-deploy',
      'preflight',
      'apply',
      'wipe',
      'unlock',
    ]);
    expect(plan.confirm).toContain('Tuwunel restarts and the old token stops working');
    expect(plan.steps.find((s) => s.id === 'pull-deploy')?.command).toBe(
      `cd ${repo.deploy} && git pull --ff-only && git merge-base --is-ancestor '<the rotation commit>' HEAD`,
    );
    expect((await readFile(repo.vaultPath)).equals(before)).toBe(true);
    const noApply = await runbook().plan('token.rotate', { apply: false });
    expect(noApply.steps.map((s) => s.id)).not.toContain('apply');
    expect(noApply.locks).toEqual(['deploy']);
  });

  it('keeps the vault-id label of a 1.2 vault', async () => {
    const labelled = await makeVaultRepo({ label: 'homelab' });
    try {
      const run = await rotate(runbook(labelled));
      expect(run.state, run.sentence ?? '').toBe('ok');
      expect((await readFile(labelled.vaultPath, 'utf8')).split('\n')[0]).toBe(
        '$ANSIBLE_VAULT;1.2;AES256;homelab',
      );
    } finally {
      await labelled.cleanup();
    }
  });

  it('refuses a second concurrent rotation with RotationInProgress', async () => {
    const [a, b] = await Promise.all([rotate(runbook()), rotate(runbook())]);
    const failed = [a, b].filter((r) => r.state === 'failed');
    expect([a, b].filter((r) => r.state === 'ok')).toHaveLength(1);
    expect(failed).toHaveLength(1);
    const lock = failed[0]?.steps.find((s) => s.id === 'lock');
    expect(lock?.error?.code).toBe('RotationInProgress');
    expect(lock?.error?.message).toMatch(
      /^Another token rotation is running on .*; a second one was refused\.$/,
    );
    expect(failed[0]?.steps.find((s) => s.id === 'decrypt')?.state).toBe('skipped');
  });

  it('takes over the lock of a process that died, and refuses one that is alive', async () => {
    const folder = join(repo.workstation, '.git', 'homeserver-tray');
    await mkdir(folder, { recursive: true });
    const dead = spawnSync('true').pid;
    const lock = (pid: number) =>
      JSON.stringify({
        pid,
        host: hostname(),
        startedAt: '2026-01-01T00:00:00Z',
        runId: 'x',
        processStart: null,
      });
    await writeFile(join(folder, 'rotation.lock'), lock(dead));
    expect((await rotate()).state).toBe('ok');

    await writeFile(join(folder, 'rotation.lock'), lock(process.ppid));
    const refused = new TokenRotation(repo.profile, { secrets: repo.secrets }, 'second');
    await expect(refused.acquireLock()).rejects.toBeInstanceOf(RotationInProgress);
  });

  it('fails at decrypt with a wrong password and changes nothing', async () => {
    await repo.secrets.set({ profile: repo.profile.name, kind: 'vault-password' }, 'not-the-password');
    const before = await readFile(repo.vaultPath);
    const run = await rotate();
    expect(run.state).toBe('failed');
    expect(run.failingStep).toBe('decrypt');
    expect(run.steps.find((s) => s.id === 'decrypt')?.error?.code).toBe('WrongVaultPassword');
    expect((await readFile(repo.vaultPath)).equals(before)).toBe(true);
    expect((await readdir(join(repo.workstation, 'inventory/group_vars/all'))).sort()).toEqual(['vault.yml']);
    expect(run.steps.find((s) => s.id === 'unlock')?.summary).toBe('The vault repository is unlocked.');
  });

  it('refuses to start on a vault with uncommitted changes', async () => {
    await writeFile(repo.vaultPath, `${await readFile(repo.vaultPath, 'utf8')}\n`);
    const run = await rotate();
    expect(run.failingStep).toBe('precheck');
    expect(run.steps.find((s) => s.id === 'precheck')?.error?.message).toContain(
      'has changes that are not committed',
    );
  });

  it('does not overwrite a vault that changed on disk after it was read', async () => {
    const r = new TokenRotation(repo.profile, { secrets: repo.secrets }, 'changed');
    await r.acquireLock();
    try {
      await r.precheck();
      await r.decrypt();
      r.edit();
      await r.encrypt();
      await r.backup();
      const changed = `${await readFile(repo.vaultPath, 'utf8')}`.replace('\n', '\n\n');
      await writeFile(repo.vaultPath, changed);
      await expect(r.write()).rejects.toBeInstanceOf(VaultNotEditable);
      expect(await readFile(repo.vaultPath, 'utf8')).toBe(changed);
    } finally {
      r.wipe();
      await r.release();
    }
  });
});

describe('writeVerifiedVault', () => {
  it('never renames bytes that do not decrypt to the edited plaintext over the vault', async () => {
    const before = await readFile(repo.vaultPath);
    const password = Buffer.from(PASSWORD);
    const edited = Buffer.from(vaultText('ab'.repeat(32)));
    const token = Buffer.from('ab'.repeat(32));
    const good = await encryptVault(edited, password);
    const wrong = await encryptVault(Buffer.from(vaultText('cd'.repeat(32))), password);
    const check = { password, expected: edited, key: TOKEN_KEY, token, source: 'vault.yml' };
    await expect(writeVerifiedVault(repo.vaultPath, wrong, check)).rejects.toBeInstanceOf(VaultNotEditable);
    await expect(
      writeVerifiedVault(repo.vaultPath, good, { ...check, password: Buffer.from('wrong') }),
    ).rejects.toBeInstanceOf(WrongVaultPassword);
    expect((await readFile(repo.vaultPath)).equals(before)).toBe(true);
    const events: string[] = [];
    await writeVerifiedVault(repo.vaultPath, good, { ...check, onEvent: (e) => events.push(e) });
    expect(await readFile(repo.vaultPath, 'utf8')).toBe(good);
    expect(events).toEqual(['temp-synced', 'renamed', 'folder-synced']);
    expect((await readdir(join(repo.workstation, 'inventory/group_vars/all'))).sort()).toEqual(['vault.yml']);
  });
});

describe('token.rollback', () => {
  async function rejectPushes(): Promise<void> {
    const hook = join(repo.remote, 'hooks', 'pre-receive');
    await writeFile(hook, '#!/bin/sh\necho "push rejected by the test" >&2\nexit 1\n');
    await chmod(hook, 0o755);
  }

  it('after a failed push: offers the rollback, then restores the vault and removes the commit', async () => {
    const before = await readFile(repo.vaultPath);
    const headBefore = await git(repo.workstation, 'rev-parse', 'HEAD');
    await rejectPushes();
    const rb = runbook();
    const run = await rotate(rb);
    expect(run.state).toBe('failed');
    expect(run.failingStep).toBe('push');
    expect(run.steps.find((s) => s.id === 'push')?.error?.code).toBe('GitFailed');
    expect(run.sentence).toContain('push rejected by the test');
    expect(run.steps.find((s) => s.id === 'unlock')?.summary).toMatch(
      /^Nothing was pushed: "Undo the new sign-up token" puts vault\.yml\.bak\.\d+ back and removes the local commit\.$/,
    );
    expect(run.alert?.id).toBe(ROTATION_UNPUSHED_ALERT);
    expect(run.alert?.fixActionId).toBe('token.rollback');
    expect(stepStates(run)['pull-deploy']).toBe('skipped');
    expect((await vaultToken()).token).not.toBe(OLD_TOKEN);

    const undone = await rollback(rb, run.id);
    expect(undone.state, undone.sentence ?? '').toBe('ok');
    expect((await readFile(repo.vaultPath)).equals(before)).toBe(true);
    expect(await git(repo.workstation, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(await git(repo.workstation, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    expect(rb.alerts.list()).toEqual([]);
    expect((await rollback(rb)).sentence).toMatch(/already rolled back/);
  });

  it('refuses once the commit is on the remote, and names another run', async () => {
    const run = await rotate();
    expect(run.state).toBe('ok');
    const refused = await rollback(runbook(), run.id);
    expect(refused.state).toBe('failed');
    expect(refused.steps.find((s) => s.id === 'inspect')?.error?.code).toBe('RollbackRefused');
    expect(refused.sentence).toContain('already on origin/main');
    const other = await rollback(runbook(), 'another-run-id');
    expect(other.sentence).toContain('not another-');
  });

  it('finds the commit of a rotation killed before its journal said so', async () => {
    const before = await readFile(repo.vaultPath);
    const headBefore = await git(repo.workstation, 'rev-parse', 'HEAD');
    await rejectPushes();
    const run = await rotate();
    expect(run.failingStep).toBe('push');
    const journalPath = join(repo.workstation, '.git', 'homeserver-tray', 'rotation.json');
    const journal = JSON.parse(await readFile(journalPath, 'utf8'));
    await writeFile(journalPath, JSON.stringify({ ...journal, commit: null, stage: 'backed-up' }));
    expect((await rollback()).state).toBe('ok');
    expect((await readFile(repo.vaultPath)).equals(before)).toBe(true);
    expect(await git(repo.workstation, 'rev-parse', 'HEAD')).toBe(headBefore);
  });

  it('says there is nothing to roll back when no rotation ran', async () => {
    const run = await rollback();
    expect(run.state).toBe('ok');
    expect(run.sentence).toMatch(
      /^There is no token rotation to roll back in .*: no rotation was recorded\.$/,
    );
  });
});

describe('token.apply', () => {
  const sha256 = async (path: string) =>
    createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  const deployVault = () => join(repo.deploy, VAULT_FILE);
  let deployDir: string;
  let windows: MaintenanceWindow[][];

  beforeEach(async () => {
    // The fixture's playbook checkout, with the vars.yml the pre-flight lints.
    deployDir = join(repo.root, 'matrix-deploy');
    // The deploy host's git, with switches: a pull that fails, or one that finds nothing new (a lagging mirror).
    await exec.script(
      'deploy',
      'git',
      `if [[ $1 == pull && -f $STATE/pull-fails ]]; then echo "fatal: unable to access the remote" >&2; exit 1; fi
if [[ $1 == pull && -f $STATE/pull-stale ]]; then echo "Already up to date."; exit 0; fi
exec /usr/bin/git "$@"`,
    );
    // The playbook "applies" the vault of the deploy checkout: it keeps that file's hash, as Tuwunel would keep its token.
    await exec.script(
      'deploy',
      'ansible-playbook',
      `sha256sum < ${shellQuote(deployVault())} | cut -d' ' -f1 > "$STATE/applied-vault"
cat "$STATE/playbook-output"; exit "$(cat "$STATE/playbook-rc")"`,
    );
    await playbook('ok');
  });

  afterEach(async () => {
    for (const f of ['pull-fails', 'pull-stale', 'applied-vault'])
      await rm(join(exec.hostDir('deploy'), 'state', f), { force: true });
  });

  async function playbook(outcome: 'ok' | 'failed'): Promise<void> {
    const fixture = join(import.meta.dirname, '..', 'runbook', 'fixtures', 'ansible');
    await exec.setState(
      'deploy',
      'playbook-output',
      await readFile(join(fixture, outcome === 'ok' ? 'ok1.txt' : 'failed-task.txt'), 'utf8'),
    );
    await exec.setState('deploy', 'playbook-rc', outcome === 'ok' ? '0' : '2');
  }

  function withPlaybook(): Runbook {
    const profile = testProfile({ vault: repo.profile.vault, deploy: deployAt(deployDir) });
    const maintenance = new MaintenanceStore();
    windows = [];
    maintenance.subscribe((w) => windows.push(w));
    return new Runbook({
      profile,
      exec,
      maintenance,
      secrets: repo.secrets,
      catalog: [...CATALOG, ...createTokenActions({ secrets: repo.secrets, mirrorWaitMs: 1500 })],
      settings: { pollIntervalMs: 200 },
    });
  }

  const run = async (rb: Runbook, id: string, params: Record<string, unknown> = {}) =>
    (await rb.start(id, params, { confirmed: true })).done;
  const applied = () => exec.state('deploy', 'applied-vault').then((s) => s.trim());

  it('after a failed pull: config.apply leaves the alert; token.apply pulls, applies the rotated vault and clears it', async () => {
    const rb = withPlaybook();
    const oldVault = await sha256(deployVault());
    await exec.setState('deploy', 'pull-fails', '');
    const rotated = await run(rb, 'token.rotate', { apply: true });
    await rm(join(exec.hostDir('deploy'), 'state', 'pull-fails'));
    expect(rotated.failingStep).toBe('pull-deploy');
    expect(rotated.alert).toMatchObject({
      id: ROTATION_UNAPPLIED_ALERT,
      fixActionId: 'token.apply',
      clearedOnlyBy: ['token.apply', 'token.rotate'],
    });
    expect(rotated.alert?.message).toContain(
      `Run "Make the new sign-up token live": it pulls ${repo.deploy} there, then applies the configuration.`,
    );
    expect(rotated.sentence).toMatch(
      /The new registration token is pushed but not applied: use "Make the new sign-up token live"\.$/,
    );
    const head = await git(repo.workstation, 'rev-parse', 'HEAD');

    // An apply without the pull applies the old vault again: it must not clear the alert.
    const configApplied = await run(rb, 'config.apply');
    expect(configApplied.state, configApplied.sentence ?? '').toBe('ok');
    expect(await applied()).toBe(oldVault);
    expect(rb.alerts.list().map((a) => a.id)).toEqual([ROTATION_UNAPPLIED_ALERT]);

    const tokenApplied = await run(rb, 'token.apply');
    expect(tokenApplied.state, tokenApplied.sentence ?? '').toBe('ok');
    expect(stepStates(tokenApplied)).toEqual({
      preflight: 'ok',
      'find-rotation': 'ok',
      'pull-deploy': 'ok',
      apply: 'ok',
    });
    expect(tokenApplied.steps.find((st) => st.id === 'find-rotation')?.summary).toBe(
      `Rotation ${rotated.id.slice(0, 8)} pushed ${head.slice(0, 10)}.`,
    );
    expect(tokenApplied.sentence).toBe(
      `The rotated registration token is live: the deploy host's vault checkout has ${head.slice(0, 10)} and the configuration was applied, so the old token no longer works.`,
    );
    expect(await git(repo.deploy, 'rev-parse', 'HEAD')).toBe(head);
    expect(await applied()).toBe(await sha256(repo.vaultPath));
    expect(rb.alerts.list()).toEqual([]);
    expect(exec.log.slice(-2).map((l) => l.host)).toEqual(['deploy', 'deploy']);
    expect(exec.log.at(-1)?.command).toContain('ansible-playbook -i inventory/hosts setup.yml');
    expect(exec.log.at(-2)?.command).toBe(
      `cd ${repo.deploy} && git pull --ff-only && git merge-base --is-ancestor ${head} HEAD`,
    );
    // Alerts about the units stay quiet while the playbook restarts them, as for config.apply.
    expect(windows.flat()).toContainEqual(
      expect.objectContaining({
        units: 'all',
        reason: 'applying the rotated registration token',
      }),
    );
  });

  it('after a failed apply: the alert names token.apply, and config.apply (the checkout has the commit) clears it', async () => {
    const rb = withPlaybook();
    await playbook('failed');
    const rotated = await run(rb, 'token.rotate', { apply: true });
    expect(rotated.failingStep).toBe('apply');
    expect(rotated.alert).toMatchObject({ id: ROTATION_UNAPPLIED_ALERT, fixActionId: 'token.apply' });
    expect(rotated.alert?.clearedOnlyBy).toBeUndefined();
    expect(rotated.alert?.message).toMatch(/Run "Make the new sign-up token live" to make it live\.$/);
    await playbook('ok');
    expect((await run(rb, 'config.apply')).state).toBe('ok');
    expect(await applied()).toBe(await sha256(repo.vaultPath));
    expect(rb.alerts.list()).toEqual([]);
  });

  it('fails without applying while the checkout lacks the commit; once pulled, a failed apply leaves what config.apply fixes', async () => {
    const rb = withPlaybook();
    await exec.setState('deploy', 'pull-fails', '');
    const rotated = await run(rb, 'token.rotate', { apply: true });
    await rm(join(exec.hostDir('deploy'), 'state', 'pull-fails'));
    const head = await git(repo.workstation, 'rev-parse', 'HEAD');

    await exec.setState('deploy', 'pull-stale', '');
    const lagging = await run(rb, 'token.apply');
    await rm(join(exec.hostDir('deploy'), 'state', 'pull-stale'));
    expect(lagging.failingStep).toBe('pull-deploy');
    expect(lagging.sentence).toContain(
      `the deploy host's checkout does not have ${head.slice(0, 10)} yet (is its remote a mirror that lags?)`,
    );
    expect(stepStates(lagging).apply).toBe('skipped');
    expect(await applied()).toBe('');
    expect(rb.alerts.list()).toEqual([rotated.alert]);

    await playbook('failed');
    const failedApply = await run(rb, 'token.apply');
    expect(failedApply.failingStep).toBe('apply');
    expect(await git(repo.deploy, 'rev-parse', 'HEAD')).toBe(head);
    // Pulled now: the alert says only an apply is missing, so config.apply may clear it.
    expect(rb.alerts.list()).toEqual([
      expect.objectContaining({ id: ROTATION_UNAPPLIED_ALERT, runId: failedApply.id }),
    ]);
    expect(rb.alerts.list()[0]?.clearedOnlyBy).toBeUndefined();
    await playbook('ok');
    expect((await run(rb, 'config.apply')).state).toBe('ok');
    expect(rb.alerts.list()).toEqual([]);
  });

  it('a later rotation that pulls but does not apply leaves the alert: pulled is not applied', async () => {
    const rb = withPlaybook();
    await exec.setState('deploy', 'pull-fails', '');
    await run(rb, 'token.rotate', { apply: true });
    await rm(join(exec.hostDir('deploy'), 'state', 'pull-fails'));
    const again = await run(rb, 'token.rotate', { apply: false });
    expect(again.state, again.sentence ?? '').toBe('ok');
    expect(await git(repo.deploy, 'rev-parse', 'HEAD')).toBe(
      await git(repo.workstation, 'rev-parse', 'HEAD'),
    );
    expect(rb.alerts.list().map((a) => a.id)).toEqual([ROTATION_UNAPPLIED_ALERT]);
  });

  it('without a pushed rotation, pulls and applies without waiting for a commit, and claims no rotated token', async () => {
    const rb = withPlaybook();
    const done = await run(rb, 'token.apply');
    expect(done.state, done.sentence ?? '').toBe('ok');
    expect(done.steps.find((st) => st.id === 'find-rotation')?.summary).toBe(
      `No pushed rotation is recorded in ${repo.workstation}: the pull only brings the deploy host's checkout up to date.`,
    );
    expect(exec.log.at(-2)?.command).toBe(`cd ${repo.deploy} && git pull --ff-only`);
    expect(done.sentence).toBe(
      "The deploy host's vault checkout is up to date and the configuration was applied.",
    );
  });

  it('plans like config.apply, with the rotation’s pull first; refused without a vault in the profile', async () => {
    const rb = withPlaybook();
    const plan = await rb.plan('token.apply');
    const config = await rb.plan('config.apply');
    expect(plan).toMatchObject({ danger: config.danger, locks: config.locks, route: null });
    expect(plan.steps.map((s) => [s.id, s.kind, s.host])).toEqual([
      ['preflight', 'local', null],
      ['find-rotation', 'local', null],
      ['pull-deploy', 'remote', 'deploy'],
      ['apply', 'remote', 'deploy'],
    ]);
    const rotate = await rb.plan('token.rotate', { apply: true });
    const pull = (p: typeof plan) => p.steps.find((s) => s.id === 'pull-deploy');
    expect(pull(plan)).toEqual(pull(rotate));
    expect(plan.steps[3]?.command.replace(/\d{8}T\d{6}Z/, 'STAMP')).toBe(
      config.steps[1]?.command.replace(/\d{8}T\d{6}Z/, 'STAMP'),
    );
    expect(plan.confirm).toBe(
      `Pull ${repo.deploy} on the deploy host (127.0.0.2), then apply the configuration from there (install-all,start): services whose configuration changed restart and the old registration token stops working.`,
    );
    expect(rb.actions().find((a) => a.id === 'token.apply')).toMatchObject({
      title: 'Make the new sign-up token live',
      group: 'Users',
      host: 'deploy',
      readOnly: false,
    });
    const noVault = new Runbook({
      profile: testProfile(),
      exec,
      maintenance: new MaintenanceStore(),
      catalog: createTokenActions({ secrets: repo.secrets }),
    });
    await expect(noVault.plan('token.apply')).rejects.toBeInstanceOf(VaultNotConfigured);
  });
});
