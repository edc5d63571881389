import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { matrixLogin, matrixLogout } from '../../../src-main/app/matrix-session';
import { createCore, openApp } from '../../../src-main/app/session';
import { loadProfile } from '../../../src-main/core/profile/load';
import { Disconnected } from '../../../src-main/core/ssh/errors';
import { startLab } from '../../lab/lab';
import type { Lab } from '../../lab/types';
import { MemorySecrets } from '../../unit/core/runbook/test-profile';
import { RecordingClipboard } from '../../unit/core/token/recording-clipboard';

/**
 * The composition root against the lab (real sshd, stand-ins, HTTPS, the vault repo): what it builds,
 * that the pieces are wired to each other, and that close() leaves nothing running. The keychain is a
 * map here; the CLI tests use gnome-keyring.
 */

let lab: Lab;
let scratch: string;
let secrets: MemorySecrets;
let draft: Record<string, unknown>;
beforeAll(async () => {
  lab = await startLab({ keyring: false });
  scratch = await mkdtemp(join(tmpdir(), 'app-core-'));
  draft = parse(await readFile(lab.profilePath, 'utf8')) as Record<string, unknown>;
  secrets = new MemorySecrets();
  const profile = lab.profile.name;
  await secrets.set({ profile, kind: 'sudo-password', host: 'homeserver' }, lab.secrets.sudoPassword);
  await secrets.set({ profile, kind: 'vault-password' }, lab.secrets.vaultPassword);
}, 120_000);
afterAll(async () => {
  await lab?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const fresh = async () => mkdtemp(join(scratch, 'data-'));

describe('createCore', () => {
  it('polls both hosts and the public checks through one scheduler; settings change its interval', async () => {
    const core = await createCore({
      profilePath: lab.profilePath,
      dataDir: await fresh(),
      secrets,
      pool: { agentSocket: undefined },
    });
    try {
      const before = lab.hosts.homeserver.execLog().length;
      const snapshot = await core.scheduler.refreshNow();
      expect(snapshot.hosts.homeserver?.ok).toBe(true);
      expect(snapshot.hosts.deploy?.ok).toBe(true);
      expect(snapshot.results.find((r) => r.id === 'unit:matrix-tuwunel')?.level).toBe('ok');
      expect(snapshot.results.find((r) => r.id === 'http:federation-version')?.level).toBe('ok');
      expect(lab.hosts.homeserver.execLog().length - before).toBe(1);
      expect(snapshot.intervalSeconds).toBe(30);
      await core.settings.set({ pollIntervalSeconds: 45 });
      expect(core.scheduler.snapshot().intervalSeconds).toBe(45);
    } finally {
      await core.close();
    }
  });

  it('wires maintenance from the runbook into the status view, persisted in the data folder', async () => {
    const dataDir = await fresh();
    const core = await createCore({
      profilePath: lab.profilePath,
      dataDir,
      secrets,
      pool: { agentSocket: undefined },
    });
    try {
      core.maintenance.enter({
        key: 'maintenance-mode',
        units: 'all',
        reason: 'Test window',
        persistent: true,
      });
      expect(core.scheduler.snapshot().maintenance.map((m) => m.key)).toEqual(['maintenance-mode']);
    } finally {
      await core.close();
    }
    const again = await createCore({
      profilePath: lab.profilePath,
      dataDir,
      secrets,
      pool: { agentSocket: undefined },
    });
    try {
      expect(again.scheduler.snapshot().maintenance.map((m) => m.reason)).toEqual(['Test window']);
      again.maintenance.leave('maintenance-mode');
    } finally {
      await again.close();
    }
  });

  it('close() cancels a running action, waits for it, disconnects; again is harmless', async () => {
    const core = await createCore({
      profilePath: lab.profilePath,
      dataDir: await fresh(),
      secrets,
      pool: { agentSocket: undefined },
    });
    const run = await core.runbook.start('logs.follow', { unit: 'matrix-tuwunel' });
    // The journal follow is running once the remote command has started.
    while (run.snapshot().steps[0]?.state !== 'running') await new Promise((r) => setTimeout(r, 20));
    await core.close();
    expect((await run.done).state).toBe('cancelled');
    expect(core.pool.state('homeserver')).toBe('disconnected');
    await expect(core.pool.exec('homeserver', 'true')).rejects.toBeInstanceOf(Disconnected);
    await core.close();
  });

  it('with a clipboard: token copy puts the vault’s token there and close() clears it', async () => {
    const clipboard = new RecordingClipboard();
    const core = await createCore({
      profilePath: lab.profilePath,
      dataDir: await fresh(),
      secrets,
      clipboard,
      pool: { agentSocket: undefined },
    });
    expect(core.invites).not.toBeNull();
    const copied = await core.token?.copy();
    expect(copied?.clearsAt).toBeGreaterThan(Date.now());
    expect(clipboard.content).toBe(lab.secrets.registrationToken);
    await core.close();
    expect(clipboard.content).toBe('');
  });

  it('records every act on secrets and trust in the audit trail, by kind, host and hint, never a value', async () => {
    const clipboard = new RecordingClipboard();
    const dataDir = await fresh();
    // No host trusted yet (an empty known_hosts): trusting the deploy host's key is a real first trust.
    const knownHostsFile = join(dataDir, 'empty_known_hosts');
    await writeFile(knownHostsFile, '');
    const core = await createCore({
      profile: { ...(await loadProfile(lab.profilePath)), knownHostsFile },
      dataDir,
      secrets,
      clipboard,
      pool: { agentSocket: undefined },
    });
    try {
      const name = core.profile.name;
      await core.token?.copy();
      await core.token?.reveal();
      await matrixLogin(
        core.profile,
        core.secrets,
        lab.secrets.adminUserId,
        lab.secrets.adminPassword,
        core.acts,
      );
      const invite = await core.invites?.create({ uses: 1 });
      const inviteToken = clipboard.content;
      await core.invites?.list();
      await core.invites?.copyToken(invite?.invite.id ?? '');
      await core.invites?.revoke(invite?.invite.id ?? '');
      await core.secrets.set(
        { profile: name, kind: 'ssh-password', host: 'deploy' },
        'an-ssh-password-value',
      );
      await core.secrets.delete({ profile: name, kind: 'ssh-password', host: 'deploy' });
      const scan = await core.pool.scanHostKey('deploy');
      await core.pool.trustHostKey('deploy', scan.fingerprint, true);
      await core.pool.forgetHostKey('deploy');
      await matrixLogout(core.profile, core.secrets, core.acts);

      const trail = await core.audit.read();
      expect(trail.map((r) => [r.action, r.outcome])).toEqual([
        ['token.copy', 'ok'],
        ['token.reveal', 'ok'],
        ['secret.set', 'ok'],
        ['matrix.login', 'ok'],
        ['invite.issue', 'ok'],
        ['invite.copy', 'ok'],
        ['invite.revoke', 'ok'],
        ['secret.set', 'ok'],
        ['secret.delete', 'ok'],
        ['hostkey.trust', 'ok'],
        ['hostkey.forget', 'ok'],
        ['secret.delete', 'ok'],
        ['matrix.logout', 'ok'],
      ]);
      expect(trail.every((r) => r.runId === null && r.profile === name)).toBe(true);
      expect(trail.find((r) => r.action === 'secret.set')?.params).toEqual({
        kind: 'matrix-admin-token',
        host: null,
      });
      expect(trail.find((r) => r.action === 'hostkey.trust')?.params).toEqual({
        host: 'deploy',
        fingerprint: scan.fingerprint,
        permanent: true,
      });
      expect(trail.find((r) => r.action === 'invite.revoke')?.params).toEqual({
        invite: `${inviteToken.slice(0, 4)}…`,
      });
      const text = await readFile(core.audit.path, 'utf8');
      for (const value of [
        lab.secrets.registrationToken,
        lab.secrets.adminPassword,
        lab.secrets.vaultPassword,
        inviteToken,
        'an-ssh-password-value',
      ])
        expect(text).not.toContain(value);
    } finally {
      await core.close();
    }
  });

  it('without a clipboard has no token or invite service', async () => {
    const core = await createCore({ profilePath: lab.profilePath, dataDir: await fresh(), secrets });
    expect(core.token).toBeNull();
    expect(core.invites).toBeNull();
    await core.close();
  });
});

describe('openApp', () => {
  it('has no core without a profile, builds one per profile on save, switches without closing any', async () => {
    const app = await openApp({
      dataDir: await fresh(),
      secrets,
      core: { pool: { agentSocket: undefined } },
    });
    const changes: (string | null)[] = [];
    app.onCoreChanged((core) => changes.push(core?.profile.name ?? null));
    expect(await app.start()).toBeNull();
    expect(app.core()).toBeNull();
    expect(app.servers()).toEqual([]);

    await app.saveProfile(null, draft);
    const first = app.core();
    expect(first?.profile.name).toBe(lab.profile.name);
    expect(first?.scheduler.isRunning).toBe(true);

    // A second profile is saved beside the one in use, not switched to (that takes the user's choice),
    // but it is watched from now on: its own core polls.
    const second = await app.saveProfile(null, { ...draft, name: 'Lab copy' });
    expect(app.core()).toBe(first);
    // In the store's order (by id: lab-copy before lab-lab.test).
    expect(app.servers().map((s) => s.core.profile.name)).toEqual(['Lab copy', lab.profile.name]);
    const copy = app.servers().find((s) => s.id === second.id)?.core;
    expect(copy?.scheduler.isRunning).toBe(true);

    // Switching only changes what is shown: both cores keep polling, neither is rebuilt.
    await app.selectProfile(second.id);
    expect(app.core()).toBe(copy);
    expect(app.selectedId()).toBe(second.id);
    expect(first?.scheduler.isRunning).toBe(true);
    await app.selectProfile(app.servers().find((s) => s.core === first)?.id as string);
    expect(app.core()).toBe(first);

    await app.deleteProfile(second.id);
    expect(copy?.scheduler.isRunning).toBe(false);
    expect(app.servers().map((s) => s.core)).toEqual([first]);
    expect((await app.profiles.list()).profiles).toHaveLength(1);
    expect(changes).toEqual([
      null,
      lab.profile.name,
      lab.profile.name,
      'Lab copy',
      lab.profile.name,
      lab.profile.name,
    ]);

    const last = app.core();
    await app.close();
    expect(app.core()).toBeNull();
    expect(last?.scheduler.isRunning).toBe(false);
  });

  it('starts without a core when the selected profile is broken, and says why', async () => {
    const dataDir = await fresh();
    await mkdir(join(dataDir, 'profiles'));
    await writeFile(join(dataDir, 'profiles', 'broken.yaml'), 'name: Broken\nserverName: "not a name"\n');
    const app = await openApp({ dataDir, secrets });
    expect(await app.start()).toBeNull();
    expect(app.coreError()).toMatchObject({ code: 'ProfileInvalid' });
    expect(app.unwatched()).toMatchObject([
      { id: 'broken', name: 'Broken', error: { code: 'ProfileInvalid' } },
    ]);
    const saved = await app.saveProfile(null, draft);
    expect(app.coreError()).toMatchObject({ code: 'ProfileInvalid' });
    // The broken one is not watched, and says why; the one saved beside it is.
    expect(app.servers().map((s) => s.id)).toEqual([saved.id]);
    expect(app.unwatched().map((u) => u.id)).toEqual(['broken']);
    await app.selectProfile(saved.id);
    expect(app.coreError()).toBeNull();
    expect(app.core()?.profile.name).toBe(lab.profile.name);
    await expect(app.selectProfile('broken')).rejects.toThrow(/broken\.yaml is not valid/);
    expect(app.core()).toBeNull();
    await app.close();
  });
});
