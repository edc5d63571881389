import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeError } from '../../src-main/core/errors';
import { InviteClient, InviteService } from '../../src-main/core/matrix/invites';
import { PeopleClient } from '../../src-main/core/matrix/people';
import { PeopleService } from '../../src-main/core/matrix/people-service';
import { AuditLog } from '../../src-main/core/runbook/audit';
import { CATALOG } from '../../src-main/core/runbook/catalog';
import { MaintenanceStore } from '../../src-main/core/runbook/maintenance';
import type { RunRecord } from '../../src-main/core/runbook/run-record';
import { Runbook } from '../../src-main/core/runbook/runner';
import { createTokenActions } from '../../src-main/core/runbook/token-actions';
import type { SecretStore } from '../../src-main/core/secrets/types';
import { ClipboardGuard } from '../../src-main/core/token/clipboard';
import { RegistrationTokenService } from '../../src-main/core/token/token-service';
import { decryptVault } from '../../src-main/core/vault/codec';
import { readTopLevelKey } from '../../src-main/core/vault/yaml-key';
import { VAULT_FILE } from '../lab/deploy/vault';
import { RecordingClipboard } from '../unit/core/token/recording-clipboard';
import {
  type Canary,
  filesUnder,
  type Hit,
  sampleProcesses,
  searchFiles,
  searchGitObjects,
  searchText,
} from './token/canary-scan';
import { type CliRun, runCli, useClearDelay } from './token/cli-process';
import { startTokenLab, type TokenLab } from './token/token-lab';
import { readSettled, startXvfb, type Xvfb } from './token/xvfb';

/**
 * The leak canary: every flow of issue 5 (secrets set through the CLI, token copy and reveal, the
 * rotation and its rollback, invites on both routes; issue 16's password resets, generated and typed, from the
 * CLI and the window's service) and the runbook's actions run against the lab with
 * canary values for the registration token, the vault password, the sudo password, the SSH key passphrase
 * and the Matrix admin access token. Then every file the app and the lab wrote, every git object, the
 * lab's exec logs, everything captured from outputs and every command line and environment seen in the
 * process list while it all ran are searched for them — and for the tokens the flows made: zero hits.
 *
 * The admin room's history (`<lab>/homeserver/admin-room.jsonl`, append-only) is checked after every flow and
 * at the end: it never holds the vault's registration token, a rotated one, or any other canary. The one
 * exception is by design and asserted as such: an invite issued through the admin room (Tuwunel before 1.8.1
 * has no admin API) is Tuwunel's reply to `token issue`, so the room holds that invite token — like Tuwunel's
 * own token store, and only for those invites.
 */
const execFileAsync = promisify(execFile);
const tag = randomBytes(6).toString('hex');
const CANARY = {
  keyPassphrase: `CANARY-key-passphrase-${tag}`,
  vaultPassword: `CANARY-vault-password-${tag}`,
  sudoPassword: `CANARY-sudo-password-${tag}`,
  registrationToken: `CANARYregistrationtoken${tag}`,
  adminAccessToken: `CANARYadminaccesstoken${tag}`,
};

let t: TokenLab;
let xvfb: Xvfb;
let cliData: string;
const tmpBefore = new Set<string>();
const shmBefore = new Set<string>();
const captured: { where: string; text: string }[] = [];

const listDir = (dir: string) => readdir(dir).catch(() => [] as string[]);

beforeAll(async () => {
  for (const e of await listDir(tmpdir())) tmpBefore.add(e);
  for (const e of await listDir('/dev/shm')) shmBefore.add(e);
  // Both hosts log in with a key protected by the canary passphrase (its public half is added to the
  // lab's authorized_keys), so the passphrase is in play too.
  const { keyPassphrase, ...labSecrets } = CANARY;
  [t, xvfb] = await Promise.all([
    startTokenLab(labSecrets, (p, lab) => ({
      ...p,
      hosts: {
        homeserver: { ...p.hosts.homeserver, identityFile: join(lab.dir, 'client', 'id_canary') },
        deploy: { ...p.hosts.deploy, identityFile: join(lab.dir, 'client', 'id_canary') },
      },
    })),
    startXvfb(),
  ]);
  // ssh2 makes the key in-process: ssh-keygen would take the passphrase as an argument.
  const pair = utils.generateKeyPairSync('ed25519', {
    passphrase: keyPassphrase,
    cipher: 'aes256-ctr',
    rounds: 4,
    comment: 'canary',
  });
  await writeFile(join(t.lab.dir, 'client', 'id_canary'), pair.private, { mode: 0o600 });
  await appendFile(join(t.lab.dir, 'client', 'authorized_keys'), `${pair.public}\n`);
  cliData = join(t.dataDir, '..', 'cli-data');
  await useClearDelay(cliData, 10);
});

afterAll(async () => {
  await xvfb?.stop();
  await t?.stop();
});

function capture(where: string, text: string): void {
  captured.push({ where, text });
}

async function cli(args: string[], input = '', display = true): Promise<CliRun> {
  const { WAYLAND_DISPLAY: _w, DISPLAY: _d, ...inherited } = process.env;
  const run = await runCli(['--profile', t.profilePath, ...args], {
    env: {
      ...inherited,
      ...(display ? { DISPLAY: xvfb.display } : {}),
      HOMESERVER_TRAY_DATA_DIR: cliData,
    },
    input,
    timeoutMs: 120_000,
  });
  capture(`cli ${args.join(' ')}: stdout`, run.stdout);
  capture(`cli ${args.join(' ')}: stderr`, run.stderr);
  return run;
}

function runbookFor(secrets: SecretStore, name: string): Runbook {
  const runbook = new Runbook({
    profile: t.profile,
    exec: t.pool,
    maintenance: new MaintenanceStore(),
    secrets,
    audit: new AuditLog(t.dataDir),
    catalog: [...CATALOG, ...createTokenActions({ secrets })],
    settings: { pollIntervalMs: 200, finallyRetryDelayMs: 200 },
  });
  runbook.events.on('step-output', (e) => capture(`${name}: step output`, e.text));
  runbook.events.on('run-finished', (e) => capture(`${name}: run record`, JSON.stringify(e.run)));
  runbook.events.on('alert-raised', (e) => capture(`${name}: alert`, JSON.stringify(e.alert)));
  return runbook;
}

async function run(
  runbook: Runbook,
  actionId: string,
  params: Record<string, unknown> = {},
): Promise<RunRecord> {
  return (await runbook.start(actionId, params, { confirmed: true })).done;
}

async function vaultToken(): Promise<string> {
  const file = await readFile(join(t.lab.repos.vaultWorkstation, VAULT_FILE));
  const { plaintext } = await decryptVault(file, Buffer.from(CANARY.vaultPassword));
  return readTopLevelKey(plaintext, 'vault_matrix_registration_token') ?? '';
}

/** The X clipboard; '' while it is empty (xclip then exits 1). */
async function xclip(): Promise<string> {
  const env = { ...process.env, DISPLAY: xvfb.display };
  return (
    await execFileAsync('xclip', ['-selection', 'clipboard', '-out'], { env }).catch(() => ({ stdout: '' }))
  ).stdout;
}

/** The admin room's history as the lab keeps it, one event a line. */
const adminRoomLog = () => join(t.lab.hosts.homeserver.dir, 'admin-room.jsonl');

/** The vault's registration token (and every rotated one so far) never reached the room: checked after each flow. */
async function roomHoldsNoRegistrationToken(made: Canary[], after: string): Promise<void> {
  const registrationTokens = [
    { name: 'registration token', value: CANARY.registrationToken },
    ...made.filter((c) => /registration token/.test(c.name)),
  ];
  const hits = await searchFiles([adminRoomLog()], registrationTokens);
  expect(hits, `the admin room after ${after}`).toEqual([]);
}

/** Runs every flow; returns the secrets the flows themselves created. */
async function everyFlow(): Promise<Canary[]> {
  const made: Canary[] = [];

  // Secrets through the command line (stdin only); the lab set-up stored the others through keytar.
  const sets: [string[], string][] = [
    [['vault-password'], CANARY.vaultPassword],
    [['ssh-key-passphrase', '--host', 'deploy'], CANARY.keyPassphrase],
  ];
  for (const [args, value] of sets)
    expect((await cli(['secret', 'set', ...args], `${value}\n`)).code).toBe(0);
  await t.secrets.set(
    { profile: t.profile.name, kind: 'ssh-key-passphrase', host: 'homeserver' },
    CANARY.keyPassphrase,
  );

  // The token out: CLI copy (xclip and its detached clearer), refusal without a display, copy and reveal.
  expect((await cli(['token', 'copy'])).code).toBe(0);
  expect(await readSettled(xclip, (s) => s === CANARY.registrationToken)).toBe(CANARY.registrationToken);
  expect((await cli(['token', 'copy'], '', false)).code).toBe(69);
  const recording = new RecordingClipboard();
  const guard = new ClipboardGuard(recording);
  const tokens = new RegistrationTokenService({
    profile: () => t.profile,
    secrets: t.secrets,
    guard,
    clearDelaySeconds: () => 10,
    revealMs: 200,
  });
  await tokens.copy();
  expect((await tokens.reveal()).token).toBe(CANARY.registrationToken);
  await roomHoldsNoRegistrationToken(made, 'token copy and reveal');

  // Invites: the CLI and the service on 1.7.0 (admin room), the service on 1.9.0 (admin API).
  expect((await cli(['invite', '--uses', '1', '--expires', '1d'])).code).toBe(0);
  const cliInvite = await readSettled(xclip, (s) => s !== '' && s !== CANARY.registrationToken);
  made.push({ name: 'invite token (CLI, admin room)', value: cliInvite });
  expect((await cli(['invite', 'list'])).code).toBe(0);
  expect((await cli(['invite', 'revoke', cliInvite.slice(0, 4)])).code).toBe(0);
  const invites = new InviteService({
    client: new InviteClient({ profile: t.profile, secrets: t.secrets }),
    guard,
    profile: () => t.profile,
    clearDelaySeconds: () => 10,
  });
  const viaRoom = await invites.create({ uses: 2, expires: '7d' });
  made.push({ name: 'invite token (admin room)', value: recording.content });
  await invites.list();
  await invites.copyInstructions();
  await invites.revoke(viaRoom.invite.id);
  await t.lab.http.setTuwunelVersion('1.9.0');
  const viaApi = await invites.create({ uses: 1 });
  made.push({ name: 'invite token (admin API)', value: recording.content });
  await invites.list();
  await invites.revoke(viaApi.invite.id);
  // A new password (issue 16), through the admin API only: the CLI (xclip) and the window's service.
  const before = await xclip();
  const reset = await cli(['users', 'reset-password', 'alice', '--sign-out', '--yes']);
  expect(reset.code).toBe(0);
  const cliPassword = await readSettled(xclip, (s) => s !== before && s !== '');
  expect(cliPassword).toMatch(/^([a-zA-Z2-9]{5}-){3}[a-zA-Z2-9]{5}$/);
  made.push({ name: 'new password (CLI)', value: cliPassword });
  const people = new PeopleService({
    client: new PeopleClient({
      profile: t.profile,
      secrets: t.secrets,
      acts: new AuditLog(t.dataDir).acts(t.profile.name),
    }),
    guard,
    clearDelaySeconds: () => 10,
  });
  await people.resetPassword('bob', { signOut: false });
  expect(recording.content).toMatch(/^([a-zA-Z2-9]{5}-){3}[a-zA-Z2-9]{5}$/);
  made.push({ name: 'new password (generated)', value: recording.content });
  const typed = `Typed-${tag}-password`;
  await people.resetPassword('bob', { password: typed, signOut: true });
  made.push({ name: 'new password (typed)', value: typed });
  await t.lab.http.setTuwunelVersion('1.7.0');
  // On 1.7.0 the admin room would keep it: refused, nothing sent.
  await people
    .resetPassword('bob', { signOut: false })
    .catch((e: unknown) => capture('error', JSON.stringify(describeError(e))));
  await invites
    .revoke('no-such-handle')
    .catch((e: unknown) => capture('error', JSON.stringify(describeError(e))));
  await roomHoldsNoRegistrationToken(made, 'the invites');
  // `token list` would put the vault's token into the room: refused on every path, the CLI's included.
  const tokenList = await cli(['run', 'admin.command', '--param', 'command=token list']);
  expect(tokenList.code).not.toBe(0);
  expect(tokenList.stderr).toMatch(/Refusing "token list"/);
  await roomHoldsNoRegistrationToken(made, 'admin.command token list');

  // Rotation through the CLI (applied), then in-process: a push the remote rejects, and its rollback.
  const rotated = await cli(['token', 'rotate', '--yes']);
  expect(rotated.code, rotated.stdout + rotated.stderr).toBe(0);
  made.push({ name: 'rotated registration token (CLI)', value: await vaultToken() });
  const runbook = runbookFor(t.secrets, 'runbook');
  const hook = join(t.lab.repos.vaultRemote, 'hooks', 'pre-receive');
  // The lab's cached repos carry no hooks folder.
  await mkdir(join(t.lab.repos.vaultRemote, 'hooks'), { recursive: true });
  await writeFile(hook, '#!/bin/sh\necho "rejected by the canary test" >&2\nexit 1\n');
  await chmod(hook, 0o755);
  const failed = await run(runbook, 'token.rotate', { apply: false });
  expect(failed.failingStep).toBe('push');
  made.push({ name: 'rolled-back registration token', value: await vaultToken() });
  await rm(hook);
  expect((await run(runbook, 'token.rollback', { runId: failed.id })).state).toBe('ok');
  await roomHoldsNoRegistrationToken(made, 'the rotations');

  // The runbook's actions: admin room and CLI mode (sudo), the playbook, units, git, logs.
  const outcomes: Record<string, string> = {};
  const act = async (rb: Runbook, id: string, params: Record<string, unknown> = {}) => {
    outcomes[id] = (await run(rb, id, params)).state;
  };
  await act(runbook, 'user.make-admin', { user: '@alice:lab.test' });
  await act(runbook, 'admin.command', { command: 'server uptime' });
  await act(runbook, 'tuwunel.restart');
  await act(runbook, 'config.apply');
  await act(runbook, 'federation.allow', { server: 'canary.example.org' });
  await act(runbook, 'federation.disallow', { server: 'canary.example.org' });
  await act(runbook, 'deploy.update');
  await act(runbook, 'stack.restart');
  await act(runbook, 'stack.stop');
  await act(runbook, 'stack.start');
  const follow = await runbook.start('logs.follow', { unit: 'matrix-tuwunel' });
  await new Promise((r) => setTimeout(r, 1500));
  follow.cancel();
  outcomes['logs.follow'] = (await follow.done).state;
  const withoutAdminToken: SecretStore = {
    get: (r) => (r.kind === 'matrix-admin-token' ? Promise.resolve(null) : t.secrets.get(r)),
    has: (r) => (r.kind === 'matrix-admin-token' ? Promise.resolve(false) : t.secrets.has(r)),
    set: (r, v) => t.secrets.set(r, v),
    delete: (r) => t.secrets.delete(r),
  };
  await act(runbookFor(withoutAdminToken, 'cli-mode runbook'), 'user.deactivate', { user: '@bob:lab.test' });
  expect(outcomes).toEqual({
    'user.make-admin': 'ok',
    'admin.command': 'ok',
    'tuwunel.restart': 'ok',
    'config.apply': 'ok',
    'federation.allow': 'ok',
    'federation.disallow': 'ok',
    'deploy.update': 'ok',
    'stack.restart': 'ok',
    'stack.stop': 'ok',
    'stack.start': 'ok',
    'logs.follow': 'cancelled',
    'user.deactivate': 'ok',
  });
  await roomHoldsNoRegistrationToken(made, 'the runbook’s actions');
  await tokens.dispose();
  return made;
}

describe('leak canary', () => {
  it('finds no secret anywhere the app and the lab wrote, printed or ran', async () => {
    const sampler = sampleProcesses();
    let made: Canary[];
    try {
      made = await everyFlow();
    } finally {
      // The processes the CLI left to clear the clipboard run for 10 s; let them finish while sampled.
      await new Promise((r) => setTimeout(r, 2000));
    }
    const sampled = await sampler.stop();

    const canaries: Canary[] = [
      { name: 'vault password', value: CANARY.vaultPassword },
      { name: 'sudo password', value: CANARY.sudoPassword },
      { name: 'SSH key passphrase', value: CANARY.keyPassphrase },
      { name: 'registration token', value: CANARY.registrationToken },
      { name: 'Matrix admin access token', value: CANARY.adminAccessToken },
      ...made,
    ];
    expect(new Set(canaries.map((c) => c.value)).size).toBe(canaries.length);

    const homeserver = t.lab.hosts.homeserver.dir;
    // The lab's admin-room endpoint runs each `!admin …` message as `tuwunel-admin '<command>'`, a process
    // standing in for code inside Tuwunel; `token revoke <t>` names the token there as it does in the room.
    const standIn = `${join(homeserver, 'bin', 'tuwunel-admin')} token `;
    const stoodInForTuwunel = (text: string) => / cmdline /.test(text) && text.includes(standIn);
    // Where the deployment itself keeps secrets, as the runbook has it (not the app's doing):
    const legitimate = new Set([
      join(t.lab.hosts.deploy.dir, 'root', '.vault_pass'), // the deploy host's --vault-password-file
      join(homeserver, 'state', 'sudo-password'), // the sudo stand-in's /etc/shadow
      join(homeserver, 'state', 'tuwunel', 'config', 'tuwunel.toml'), // registration_token, rendered by the playbook
      join(homeserver, 'state', 'tuwunel', 'tokens'), // Tuwunel's own store of issued tokens
    ]);
    // The admin room's history: searched below for everything but the invites issued in it.
    const room = adminRoomLog();
    const issuedInRoom = made.filter((c) => /\(.*admin room\)/.test(c.name));
    expect(issuedInRoom.map((c) => c.name)).toEqual([
      'invite token (CLI, admin room)',
      'invite token (admin room)',
    ]);
    const files = [
      ...(await filesUnder(t.lab.dir, new Set([...legitimate, room]))),
      ...(await filesUnder(t.dataDir)),
      ...(await filesUnder(cliData)),
    ];
    for (const e of await listDir(tmpdir()))
      if (!tmpBefore.has(e) && join(tmpdir(), e) !== t.lab.dir)
        files.push(...(await filesUnder(join(tmpdir(), e))));
    for (const e of await listDir('/dev/shm'))
      if (!shmBefore.has(e)) files.push(...(await filesUnder(join('/dev/shm', e))));
    const unique = [...new Set(files)];
    for (const f of [
      join(t.dataDir, 'audit.jsonl'),
      join(cliData, 'audit.jsonl'),
      join(homeserver, 'exec.log'),
      join(t.lab.hosts.deploy.dir, 'exec.log'),
    ])
      expect(unique).toContain(f);

    const repos = [
      t.lab.repos.vaultWorkstation,
      t.lab.repos.vaultRemote,
      t.lab.repos.vaultDeploy,
      t.lab.repos.playbook,
    ];
    const hits: Hit[] = [
      ...(await searchFiles(unique, canaries)),
      ...(await searchFiles(
        [room],
        canaries.filter((c) => !issuedInRoom.includes(c)),
      )),
      ...(await Promise.all(repos.map((repo) => searchGitObjects(repo, canaries)))).flat(),
      ...searchText(t.lab.hosts.homeserver.execLog().join('\n'), canaries, 'homeserver exec log'),
      ...searchText(t.lab.hosts.deploy.execLog().join('\n'), canaries, 'deploy exec log'),
      ...captured.flatMap((c) => searchText(c.text, canaries, c.where)),
      ...sampled.texts
        .filter((text) => !stoodInForTuwunel(text))
        .flatMap((text) =>
          searchText(text, canaries, `process list: ${text.split(' ').slice(0, 3).join(' ')}`),
        ),
    ];
    expect(sampled.samples).toBeGreaterThan(50);
    expect(sampled.texts.some((text) => text.includes('ansible-playbook'))).toBe(true);
    expect(captured.length).toBeGreaterThan(40);
    expect(hits).toEqual([]);

    // The search can find them: they are where the deployment keeps them.
    const found = await searchFiles([...legitimate], canaries);
    expect(new Set(found.map((h) => h.canary))).toEqual(
      new Set(['vault password', 'sudo password', 'rotated registration token (CLI)']),
    );
    // …and the one exception is what it says: Tuwunel's reply to `token issue` in the room, nothing more.
    expect(new Set((await searchFiles([room], canaries)).map((h) => h.canary))).toEqual(
      new Set(issuedInRoom.map((c) => c.name)),
    );
  }, 300_000);
});
