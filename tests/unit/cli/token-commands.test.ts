import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ClearJob } from '../../../src-main/cli/clear-later';
import type { CliClipboard } from '../../../src-main/cli/cli-clipboard';
import { EXIT } from '../../../src-main/cli/exit-codes';
import type { CliIo } from '../../../src-main/cli/io';
import { secretDeleteCommand, secretSetCommand } from '../../../src-main/cli/secret-commands';
import {
  type TokenCliDeps,
  tokenCopyCommand,
  tokenRollbackCommand,
  tokenRotateCommand,
} from '../../../src-main/cli/token-commands';
import { MaintenanceStore } from '../../../src-main/core/runbook/maintenance';
import { Runbook } from '../../../src-main/core/runbook/runner';
import { createTokenActions } from '../../../src-main/core/runbook/token-actions';
import { ClipboardGuard, matches } from '../../../src-main/core/token/clipboard';
import { NoClipboardTool } from '../../../src-main/core/token/errors';
import { RegistrationTokenService } from '../../../src-main/core/token/token-service';
import { systemGit } from '../../../src-main/core/vault/git';
import { rotationFolder, writeJournal } from '../../../src-main/core/vault/rotation-lock';
import { LocalExec } from '../core/runbook/local-exec';
import { RecordingClipboard } from '../core/token/recording-clipboard';
import { gitEnv, makeVaultRepo, OLD_TOKEN, PASSWORD, type VaultRepo } from '../core/vault/rotation-fixture';

let repo: VaultRepo;

beforeAll(async () => {
  Object.assign(process.env, gitEnv);
  repo = await makeVaultRepo();
});

afterAll(async () => {
  await repo?.cleanup();
});

interface Captured extends CliIo {
  out: string[];
  err: string[];
  input: PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
}

function capture(tty = false): Captured {
  const input = new PassThrough() as Captured['input'];
  if (tty) {
    input.isTTY = true;
    input.setRawMode = vi.fn();
  }
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, input, stdin: input, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

function recordingCli(): RecordingClipboard & Pick<CliClipboard, 'tool'> {
  return Object.assign(new RecordingClipboard(false), { tool: 'xclip' as const });
}

function deps(extra: Partial<TokenCliDeps> = {}): TokenCliDeps {
  return { profile: repo.profile, secrets: repo.secrets, ...extra };
}

describe('token copy', () => {
  it('puts the token on the clipboard, hands a hash to the clearer, and prints no secret', async () => {
    const clipboard = recordingCli();
    const jobs: ClearJob[] = [];
    const io = capture();
    const code = await tokenCopyCommand(
      [],
      deps({
        clipboard: async () => clipboard as unknown as CliClipboard,
        scheduleClear: (job) => jobs.push(job),
        clearDelaySeconds: 45,
        now: () => Date.parse('2026-11-26T12:00:00Z'),
      }),
      io,
    );
    expect(code).toBe(EXIT.ok);
    expect(clipboard.content).toBe(OLD_TOKEN);
    expect(io.out.join('')).toMatch(
      /^Copied the registration token of lab\.test\. It is on the clipboard \(the recording clipboard\); it will be cleared at .* if the clipboard still holds it\.\n$/,
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      tool: 'xclip',
      what: 'registration-token',
      clearAt: Date.parse('2026-11-26T12:00:00Z') + 45_000,
    });
    const print = {
      key: Buffer.from(jobs[0]?.key ?? '', 'hex'),
      digest: Buffer.from(jobs[0]?.digest ?? '', 'hex'),
    };
    expect(matches(print, OLD_TOKEN)).toBe(true);
    expect(JSON.stringify(jobs) + io.out.join('') + io.err.join('')).not.toContain(OLD_TOKEN);
  });

  it('says so beside the copied token when a rotation is pushed but not applied (read from its journal)', async () => {
    const folder = await rotationFolder(repo.workstation, systemGit);
    const journal = {
      runId: '7e57c0de-rotation',
      startedAt: '2026-11-26T12:00:00.000Z',
      file: repo.vaultPath,
      backup: `${repo.vaultPath}.bak.1`,
      previousHead: 'a'.repeat(40),
      commit: 'b'.repeat(40),
      upstream: 'origin/main',
    };
    await writeJournal(folder, { ...journal, stage: 'pushed' });
    try {
      const io = capture();
      const code = await tokenCopyCommand(
        [],
        deps({ clipboard: async () => recordingCli() as unknown as CliClipboard, scheduleClear: () => {} }),
        io,
      );
      expect(code).toBe(EXIT.ok);
      expect(io.err.join('')).toBe(
        'Note: this is the new token of rotation 7e57c0de, pushed but not applied yet: Tuwunel still accepts only the old one, so sign-ups with this one fail until "Make the new sign-up token live" succeeds.\n',
      );
    } finally {
      await writeJournal(folder, { ...journal, stage: 'applied' });
    }
  });

  it('refuses with exit 69 and a sentence when no clipboard tool exists, before decrypting', async () => {
    const io = capture();
    const get = vi.spyOn(repo.secrets, 'get');
    const code = await tokenCopyCommand(
      [],
      deps({
        clipboard: async () => {
          throw new NoClipboardTool('linux', ['wl-copy', 'xclip']);
        },
      }),
      io,
    );
    expect(code).toBe(EXIT.unavailable);
    expect(io.out).toEqual([]);
    expect(io.err.join('')).toContain('No clipboard is reachable from this terminal');
    expect(io.err.join('')).toContain('Install wl-clipboard (Wayland) or xclip (X11)');
    expect(get).not.toHaveBeenCalled();
    get.mockRestore();
  });

  it('keeps the token out of the output when the vault password is missing', async () => {
    const io = capture();
    const secrets = Object.assign(Object.create(Object.getPrototypeOf(repo.secrets)), repo.secrets);
    secrets.values = new Map();
    const code = await tokenCopyCommand(
      [],
      deps({ secrets, clipboard: async () => recordingCli() as never }),
      io,
    );
    expect(code).toBe(EXIT.failed);
    expect(io.err.join('')).toBe(
      'The Ansible Vault password is not stored in the keychain.\nStore the Ansible Vault password with `homeserver-tray secret set vault-password` (typed without echo, or piped on stdin), then run the command again.\n',
    );
    const named = capture();
    named.name = 'npm run cli --';
    await tokenCopyCommand([], deps({ secrets, clipboard: async () => recordingCli() as never }), named);
    expect(named.err.join('')).toContain('`npm run cli -- secret set vault-password`');
    expect(named.err.join('')).not.toContain('Settings');
  });
});

describe('RegistrationTokenService', () => {
  it('copies with the configured delay and reveals for one display', async () => {
    vi.useFakeTimers();
    try {
      const clipboard = new RecordingClipboard();
      const service = new RegistrationTokenService({
        profile: () => repo.profile,
        secrets: repo.secrets,
        guard: new ClipboardGuard(clipboard),
        clearDelaySeconds: () => 10,
      });
      const expired = vi.fn();
      service.onRevealExpired(expired);
      const copied = await service.copy();
      expect(copied.concealed).toBe(true);
      expect(copied.clearsAt).toBe(Date.now() + 10_000);
      expect(clipboard.content).toBe(OLD_TOKEN);
      const shown = await service.reveal();
      expect(shown).toEqual({ token: OLD_TOKEN, hideAt: Date.now() + 10_000 });
      await vi.advanceTimersByTimeAsync(10_000);
      expect(expired).toHaveBeenCalledTimes(1);
      expect(clipboard.content).toBe('');
      await clipboard.writeText(OLD_TOKEN, { concealed: true });
      await service.copy();
      await service.dispose();
      expect(clipboard.content).toBe('');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('secret set / delete', () => {
  const ref = (host?: 'deploy') => ({
    profile: repo.profile.name,
    kind: host ? ('sudo-password' as const) : ('vault-password' as const),
    ...(host ? { host } : {}),
  });

  it('reads a piped vault password as ansible-vault reads its file, and prints nothing of it', async () => {
    const io = capture();
    io.input.end('  piped-vault-password \n');
    expect(await secretSetCommand(['vault-password'], deps(), io)).toBe(EXIT.ok);
    expect((await repo.secrets.get(ref()))?.toString()).toBe('piped-vault-password');
    expect(io.out.join('')).toBe('Stored the vault password of lab.test in the keychain.\n');
    await repo.secrets.set(ref(), PASSWORD);
  });

  it('keeps inner spaces of other kinds and drops only the line end', async () => {
    const io = capture();
    io.input.end(' sudo pw \r\n');
    expect(await secretSetCommand(['sudo-password', '--host', 'deploy'], deps(), io)).toBe(EXIT.ok);
    expect((await repo.secrets.get(ref('deploy')))?.toString()).toBe(' sudo pw ');
  });

  it('reads from a terminal in raw mode without echo, with backspace and UTF-8', async () => {
    const io = capture(true);
    const done = secretSetCommand(['sudo-password', '--host=deploy'], deps(), io);
    await new Promise((r) => setImmediate(r));
    io.input.write('pässx');
    io.input.write(Buffer.from([0x7f]));
    io.input.write('wörd\r');
    expect(await done).toBe(EXIT.ok);
    expect((await repo.secrets.get(ref('deploy')))?.toString()).toBe('pässwörd');
    expect(io.input.setRawMode).toHaveBeenNthCalledWith(1, true);
    expect(io.input.setRawMode).toHaveBeenLastCalledWith(false);
    expect(io.err.join('')).toBe('Sudo password for the deploy host (not shown): \n');
    expect(io.out.join('')).not.toMatch(/pä|wörd/);
  });

  it('stores nothing on Ctrl-C or empty input, and checks kind and host', async () => {
    const before = await repo.secrets.get(ref('deploy'));
    const io = capture(true);
    const done = secretSetCommand(['sudo-password', '--host', 'deploy'], deps(), io);
    await new Promise((r) => setImmediate(r));
    io.input.write('abc\u0003');
    expect(await done).toBe(EXIT.interrupted);
    expect(io.err.join('')).toContain('Typing the sudo password for the deploy host was cancelled.');
    expect((await repo.secrets.get(ref('deploy')))?.equals(before ?? Buffer.alloc(0))).toBe(true);

    const empty = capture();
    empty.input.end('\n');
    expect(await secretSetCommand(['vault-password'], deps(), empty)).toBe(EXIT.usage);
    for (const args of [
      ['sudo-password'],
      ['vault-password', '--host', 'deploy'],
      ['nonsense'],
      ['ssh-password', '--host', 'elsewhere'],
    ]) {
      const io2 = capture();
      io2.input.end('x');
      expect(await secretSetCommand(args, deps(), io2), args.join(' ')).toBe(EXIT.usage);
    }
  });

  it('refuses a value given as an argument, naming it by place, never printing it, storing nothing', async () => {
    const before = await repo.secrets.get(ref('deploy'));
    const io = capture();
    io.name = 'npm run cli --';
    io.input.end('');
    const code = await secretSetCommand(['sudo-password', 'hunter2-secret', '--host', 'deploy'], deps(), io);
    expect(code).toBe(EXIT.usage);
    const err = io.err.join('');
    expect(err).toContain(
      'secret set sudo-password: takes no value after the kind (the argument after "sudo-password" was refused and not stored)',
    );
    expect(err).toContain('secrets come on stdin');
    expect(err).toContain('\nRun it with --help to see what it takes.\n');
    expect(err).toContain(`printf '%s\\n' "$SECRET" | npm run cli -- secret set sudo-password --host deploy`);
    expect(err + io.out.join('')).not.toContain('hunter2');
    expect((await repo.secrets.get(ref('deploy')))?.equals(before ?? Buffer.alloc(0))).toBe(true);

    const misplaced = capture();
    expect(await secretSetCommand(['hunter2-secret'], deps(), misplaced)).toBe(EXIT.usage);
    expect(misplaced.err.join('')).toContain('the kind must be one of ssh-password');
    expect(misplaced.err.join('')).not.toContain('hunter2');
  });

  it('deletes and says whether something was there', async () => {
    const io = capture();
    expect(await secretDeleteCommand(['sudo-password', '--host', 'deploy'], deps(), io)).toBe(EXIT.ok);
    expect(await secretDeleteCommand(['sudo-password', '--host', 'deploy'], deps(), io)).toBe(EXIT.ok);
    expect(io.out).toEqual([
      'Deleted the sudo password for the deploy host from the keychain.\n',
      'No sudo password for the deploy host was stored; nothing to delete.\n',
    ]);
  });
});

describe('token rotate', () => {
  it('narrates every step from the first, prints no token, and offers the rollback after a failed push', async () => {
    const own = await makeVaultRepo();
    const exec = await LocalExec.create();
    try {
      const runbook = new Runbook({
        profile: own.profile,
        exec,
        maintenance: new MaintenanceStore(),
        secrets: own.secrets,
        catalog: createTokenActions({ secrets: own.secrets }),
      });
      const io = capture();
      io.input.end();
      const code = await tokenRotateCommand(
        ['--yes', '--no-apply'],
        { profile: own.profile, secrets: own.secrets, runbook },
        io,
      );
      expect(code, io.err.join('')).toBe(EXIT.ok);
      const out = io.out.join('');
      expect(out.startsWith('→ Lock the vault repository\n')).toBe(true);
      expect(out).toContain('→ Pull the vault on the deploy host (git pull)\n');
      expect(out.trimEnd().split('\n').at(-1)).toBe(
        'The registration token was rotated, pushed and pulled on the deploy host; apply the configuration to make it live.',
      );
      expect(out).not.toContain(OLD_TOKEN);
      expect(out).not.toMatch(/[0-9a-f]{64}/);

      const hook = join(own.remote, 'hooks', 'pre-receive');
      await writeFile(hook, '#!/bin/sh\nexit 1\n');
      await chmod(hook, 0o755);
      const failed = capture();
      failed.input.end();
      expect(
        await tokenRotateCommand(['--yes'], { profile: own.profile, secrets: own.secrets, runbook }, failed),
      ).toBe(EXIT.failed);
      expect(failed.err.join('')).toBe('To undo it: homeserver-tray token rollback\n');
      const undo = capture();
      expect(
        await tokenRollbackCommand([], { profile: own.profile, secrets: own.secrets, runbook }, undo),
      ).toBe(EXIT.ok);
      expect(undo.out.join('').trimEnd().split('\n').at(-1)).toBe(
        'The rotation was rolled back: the vault and the branch are as they were before it.',
      );
    } finally {
      await exec.cleanup();
      await own.cleanup();
    }
  });

  it('asks for --yes when not confirmed and not at a terminal, changing nothing', async () => {
    const exec = await LocalExec.create();
    try {
      const runbook = new Runbook({
        profile: repo.profile,
        exec,
        maintenance: new MaintenanceStore(),
        secrets: repo.secrets,
        catalog: createTokenActions({ secrets: repo.secrets }),
      });
      const io = capture();
      io.input.end();
      expect(await tokenRotateCommand([], deps({ runbook }), io)).toBe(EXIT.failed);
      expect(io.err.join('')).toContain(
        'Not confirmed, nothing was changed: run it again with --yes to go ahead.',
      );
      expect(runbook.list()).toEqual([]);
      const usage = capture();
      expect(await tokenRotateCommand(['--apply-later'], deps({ runbook }), usage)).toBe(EXIT.usage);
      expect(usage.err.join('')).toContain('--apply-later: is not an option of this command');
    } finally {
      await exec.cleanup();
    }
  });
});
