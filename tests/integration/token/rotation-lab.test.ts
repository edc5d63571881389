import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { tokenRotateCommand } from '../../../src-main/cli/token-commands';
import { InviteClient } from '../../../src-main/core/matrix/invites';
import { ROTATION_UNAPPLIED_ALERT } from '../../../src-main/core/runbook/rotation-alerts';
import type { RunRecord } from '../../../src-main/core/runbook/run-record';
import { ClipboardGuard } from '../../../src-main/core/token/clipboard';
import { RegistrationTokenService } from '../../../src-main/core/token/token-service';
import { ROTATION_COMMIT_MESSAGE } from '../../../src-main/core/vault/rotation';
import { readTopLevelKey } from '../../../src-main/core/vault/yaml-key';
import { VAULT_FILE, vaultPlaintext } from '../../lab/deploy/vault';
import { RecordingClipboard } from '../../unit/core/token/recording-clipboard';
import { git, renderedToken, startTokenLab, type TokenLab } from './token-lab';

/**
 * token.rotate end to end on the lab: the workstation's vault repo, its bare remote, the deploy host's
 * clone over SSH, the real ansible-playbook rendering tuwunel.toml, and the real ansible-vault CLI
 * reading what the app wrote.
 */

let t: TokenLab;

beforeAll(async () => {
  t = await startTokenLab();
});

afterAll(async () => {
  await t?.stop();
});

/**
 * The registration tokens the running Tuwunel holds, as its admin API lists them (the configured one among
 * them). The lab plays 1.7.0, which only `token list` could ask, and the app never sends that (it would put the
 * vault's token into the admin room); the lab's Tuwunel answers as 1.9.0 for the question, from the same state.
 */
async function tokensTuwunelHolds(): Promise<string[]> {
  await t.lab.http.setTuwunelVersion('1.9.0');
  try {
    return (await new InviteClient({ profile: t.profile, secrets: t.secrets }).list()).map((i) => i.token);
  } finally {
    await t.lab.http.setTuwunelVersion('1.7.0');
  }
}

/** The vault's token and plaintext as the real ansible-vault CLI reads them. */
async function currentVault(): Promise<{ token: string; plaintext: string }> {
  const { code, plaintext, stderr } = await t.view();
  expect(code, stderr).toBe(0);
  return {
    token: readTopLevelKey(Buffer.from(plaintext), 'vault_matrix_registration_token') ?? '',
    plaintext,
  };
}

async function currentToken(): Promise<string> {
  return (await currentVault()).token;
}

describe('token.rotate on the lab', () => {
  it('rotates, pushes, pulls on the deploy host and applies: Tuwunel has the new token, ansible-vault agrees', async () => {
    const old = t.lab.secrets.registrationToken;
    expect(await renderedToken(t.lab)).toBe(old);
    const run = await t.run('token.rotate', { apply: true });
    expect(run.state, run.sentence ?? '').toBe('ok');
    expect(run.ansible?.recap[0]?.failed).toBe(0);

    const { token, plaintext } = await currentVault();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(token).not.toBe(old);
    // Byte for byte the lab's vault with only the token changed, as the real ansible-vault reads it.
    expect(plaintext).toBe(vaultPlaintext(token));
    const deployVault = join(t.lab.repos.vaultDeploy, VAULT_FILE);
    expect(await readFile(deployVault, 'utf8')).toBe(
      await readFile(join(t.lab.repos.vaultWorkstation, VAULT_FILE), 'utf8'),
    );
    expect(await git(t.lab.repos.vaultRemote, 'log', '-1', '--format=%s', 'main')).toBe(
      ROTATION_COMMIT_MESSAGE,
    );
    expect(await renderedToken(t.lab)).toBe(token);

    // Tuwunel (restarted by the playbook) now holds the new token, and no longer the old one.
    const held = await tokensTuwunelHolds();
    expect(held).toContain(token);
    expect(held).not.toContain(old);

    // Copy gives the new token; nothing the run recorded or the deploy host ran names it.
    const clipboard = new RecordingClipboard();
    await new RegistrationTokenService({
      profile: () => t.profile,
      secrets: t.secrets,
      guard: new ClipboardGuard(clipboard),
      clearDelaySeconds: () => null,
    }).copy();
    expect(clipboard.content).toBe(token);
    const deployLog = t.lab.hosts.deploy.execLog().join('\n');
    expect(deployLog).toContain('git pull --ff-only');
    expect(deployLog).toContain('--tags=install-all,start');
    const recorded =
      JSON.stringify(run) + deployLog + (await readFile(join(t.dataDir, 'audit.jsonl'), 'utf8'));
    for (const secret of [token, old, t.lab.secrets.vaultPassword]) expect(recorded).not.toContain(secret);
  });

  it('waits for a deploy checkout that lags (a mirror catching up), then succeeds', async () => {
    t.lab.faults.exit('deploy', 'git merge-base*', 1, '', 2);
    const run = await t.run('token.rotate', { apply: false });
    expect(run.state, run.sentence ?? '').toBe('ok');
    const pull = run.steps.find((s) => s.id === 'pull-deploy');
    expect(pull?.summary).toMatch(/^The deploy host's checkout has [0-9a-f]{10}\.$/);
    expect(run.sentence).toBe(
      'The registration token was rotated, pushed and pulled on the deploy host; apply the configuration to make it live.',
    );
    t.lab.faults.clear();
  });

  it('a failing git pull on the deploy host fails the run after the push; only "Make the new sign-up token live" makes the new token live', async () => {
    t.lab.faults.exit('deploy', 'git pull*', 1, 'fatal: unable to access the remote\n');
    const rotated = await t.run('token.rotate', { apply: true });
    t.lab.faults.clear();
    expect(rotated.state).toBe('failed');
    expect(rotated.failingStep).toBe('pull-deploy');
    expect(rotated.sentence).toContain('fatal: unable to access the remote');
    expect(rotated.steps.find((s) => s.id === 'apply')?.state).toBe('skipped');
    // Pushed, so the Tokens panel already hands out a token Tuwunel refuses: a sticky alert says so.
    expect(rotated.alert).toMatchObject({
      id: ROTATION_UNAPPLIED_ALERT,
      title: 'The new registration token is pushed but not applied',
      fixActionId: 'token.apply',
    });
    expect(rotated.alert?.message).toContain(
      `Run "Make the new sign-up token live": it pulls ${t.lab.repos.vaultDeploy} there, then applies the configuration.`,
    );
    expect(rotated.sentence).toMatch(
      /The new registration token is pushed but not applied: use "Make the new sign-up token live"\.$/,
    );
    const token = await currentToken();
    expect(await renderedToken(t.lab)).not.toBe(token);
    const undo = await t.run('token.rollback', { runId: rotated.id });
    expect(undo.state).toBe('failed');
    expect(undo.sentence).toContain('is already on origin/main, so the deploy host may have the new token');

    // Applying without pulling applies the old vault again: the alert stays.
    const configApplied = await t.run('config.apply');
    expect(configApplied.state, configApplied.sentence ?? '').toBe('ok');
    expect(await renderedToken(t.lab)).not.toBe(token);
    expect(t.alerts.list().map((a) => a.id)).toEqual([ROTATION_UNAPPLIED_ALERT]);

    const applied = await t.run('token.apply');
    expect(applied.state, applied.sentence ?? '').toBe('ok');
    expect(applied.sentence).toMatch(/^The rotated registration token is live: /);
    expect(await git(t.lab.repos.vaultDeploy, 'rev-parse', 'HEAD')).toBe(
      await git(t.lab.repos.vaultWorkstation, 'rev-parse', 'HEAD'),
    );
    expect(await renderedToken(t.lab)).toBe(token);
    // Tuwunel (restarted by the playbook) takes the new token as its configured one.
    expect(await tokensTuwunelHolds()).toContain(token);
    expect(t.alerts.list()).toEqual([]);
  });

  it('a failing apply leaves the alert; the checkout has the commit, so "Apply the configuration" makes the new token live and clears it', async () => {
    // ansible-core when the playbook is missing (AnsibleError, exit 1).
    t.lab.faults.exit(
      'deploy',
      'ansible-playbook*',
      1,
      'ERROR! the playbook: setup.yml could not be found\n',
      1,
    );
    // Through the command line, which says what to run next.
    const rb = t.runbook();
    const finished: RunRecord[] = [];
    rb.events.on('run-finished', (e) => finished.push(e.run));
    const out: string[] = [];
    const err: string[] = [];
    const code = await tokenRotateCommand(
      ['--yes'],
      { profile: t.profile, secrets: t.secrets, runbook: rb },
      { stdout: (x) => out.push(x), stderr: (x) => err.push(x), stdin: new PassThrough() },
    );
    t.lab.faults.clear();
    expect(code).toBe(EXIT.failed);
    const rotated = finished.at(-1) as RunRecord;
    expect(rotated.failingStep).toBe('apply');
    expect(rotated.alert).toMatchObject({ id: ROTATION_UNAPPLIED_ALERT, fixActionId: 'token.apply' });
    expect(rotated.alert?.message).toBe(
      'The new registration token is pushed but not applied: Tuwunel still accepts only the old token, while copying the token (which reads the vault on this computer) hands out the new one. Run "Make the new sign-up token live" to make it live.',
    );
    const sentence =
      'Make a new sign-up token failed at "Apply the configuration (ansible-playbook --tags=install-all,start)": Ansible stopped with an error: the playbook: setup.yml could not be found. Clean-up done: forget the decrypted vault, unlock the vault repository. The new registration token is pushed but not applied: use "Make the new sign-up token live".';
    expect(rotated.sentence).toBe(sentence);
    expect(out.join('')).toContain(`${sentence}\n`);
    expect(err.join('')).toContain('To make the new token live: homeserver-tray run token.apply\n');
    expect(rb.alerts.list().map((a) => a.id)).toEqual([ROTATION_UNAPPLIED_ALERT]);
    const token = await currentToken();
    expect(await renderedToken(t.lab)).not.toBe(token);

    const applied = await (await rb.start('config.apply', {}, { confirmed: true })).done;
    expect(applied.state, applied.sentence ?? '').toBe('ok');
    expect(await renderedToken(t.lab)).toBe(token);
    expect(rb.alerts.list()).toEqual([]);
  });
});
