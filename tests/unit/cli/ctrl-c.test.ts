import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearJob, runClearJob, spawnClearLater } from '../../../src-main/cli/clear-later';
import type { CliClipboard } from '../../../src-main/cli/cli-clipboard';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { inviteCommand } from '../../../src-main/cli/invite-command';
import { unlessStopped } from '../../../src-main/cli/io';
import { tokenCopyCommand } from '../../../src-main/cli/token-commands';
import type { HttpRequest, HttpResponse } from '../../../src-main/core/matrix/http';
import { InviteClient } from '../../../src-main/core/matrix/invites';
import { MemorySecrets, testProfile } from '../core/runbook/test-profile';
import { RecordingClipboard } from '../core/token/recording-clipboard';
import { memoryIo } from './cli-io';

/**
 * The first Ctrl-C counts in every command: `token copy` and `invite` stop at once with exit 130, say what
 * the server may still do, and copy nothing; a clearer once started always gets its whole job first.
 */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ctrl-c-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function recording() {
  return Object.assign(new RecordingClipboard(false), { tool: 'xclip' as const });
}

describe('Ctrl-C', () => {
  it('unlessStopped: the work’s answer, or Cancelled as soon as the signal comes (exit 130)', async () => {
    const stop = new AbortController();
    expect(await unlessStopped({ stop: stop.signal }, 'Waiting', Promise.resolve(7))).toBe(7);
    const never = new Promise<number>(() => {});
    const waiting = unlessStopped({ stop: stop.signal }, 'Waiting', never);
    stop.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'Cancelled', message: 'Waiting was cancelled.' });
    await expect(unlessStopped({ stop: stop.signal }, 'Again', Promise.resolve(1))).rejects.toMatchObject({
      code: 'Cancelled',
    });
  });

  it('invite: stops waiting for the server, says it may have issued the invite, copies nothing', async () => {
    const profile = testProfile();
    const secrets = new MemorySecrets();
    await secrets.set({ profile: profile.name, kind: 'matrix-admin-token' }, 'admin-token');
    const stop = new AbortController();
    let asked = 0;
    // A 1.8.1 server that answers the app's version questions, takes the invite request and never answers it.
    const http = (req: HttpRequest): Promise<HttpResponse> => {
      if (req.method === 'GET')
        return Promise.resolve({
          status: 200,
          body: req.url.endsWith('/_synapse/admin/v1/server_version')
            ? '{"server_version":"1.8.1"}'
            : '{"version":"1.8.1"}',
        });
      asked += 1;
      setTimeout(() => stop.abort(), 10);
      return new Promise(() => {});
    };
    const clipboard = recording();
    const { io, out } = memoryIo({ stop: stop.signal });
    const code = await inviteCommand(
      [],
      {
        profile,
        secrets,
        dataDir: dir,
        invites: new InviteClient({ profile, secrets, http }),
        clipboard: async () => clipboard as unknown as CliClipboard,
        scheduleClear: () => {},
      },
      { ...io, name: 'homeserver-tray' },
    );
    expect(code).toBe(EXIT.interrupted);
    expect(asked).toBe(1);
    expect(out.stderr).toBe(
      'Stopped waiting for the server to issue the invite; it may have issued it all the same: `homeserver-tray invite list` shows it, and `homeserver-tray invite revoke ID` takes it back. Nothing was copied.\n',
    );
    expect(out.stdout).toBe('');
    expect(clipboard.content).toBe('');
  });

  it('token copy: Ctrl-C while the clipboard tool is looked for copies nothing and exits 130', async () => {
    const stop = new AbortController();
    const { io, out } = memoryIo({ stop: stop.signal });
    const running = tokenCopyCommand(
      [],
      {
        profile: testProfile(),
        secrets: new MemorySecrets(),
        clipboard: () => new Promise<CliClipboard>(() => {}),
        scheduleClear: () => {},
      },
      io,
    );
    stop.abort();
    expect(await running).toBe(EXIT.interrupted);
    expect(out.stderr).toMatch(/^Copying the registration token was cancelled\.\n/);
    expect(out.stdout).toBe('');
  });

  it('the detached clearer has its whole job once spawnClearLater resolves', async () => {
    const received = join(dir, 'job.json');
    const entry = join(dir, 'clearer.mjs');
    await writeFile(
      entry,
      `import { writeFileSync } from 'node:fs';\nlet t = '';\nprocess.stdin.on('data', (c) => (t += c)).on('end', () => writeFileSync(${JSON.stringify(received)}, t));\n`,
    );
    const job = clearJob(
      'xclip',
      'invite-token',
      { key: Buffer.alloc(32, 1), digest: Buffer.alloc(32, 2) },
      Date.now() + 30_000,
    );
    const pid = await spawnClearLater(job, { entry, execArgv: [] });
    expect(pid).toBeTypeOf('number');
    const deadline = Date.now() + 20_000;
    let text = '';
    while (Date.now() < deadline) {
      text = await readFile(received, 'utf8').catch(() => '');
      if (text !== '') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(JSON.parse(text)).toEqual(job);
  });
});

describe('the detached clearer', () => {
  it('clears at the time the copy named, however late it started; a past time at once', async () => {
    const now = Date.parse('2026-12-07T08:00:00Z');
    const job = (clearAt: number) =>
      JSON.stringify(
        clearJob('xclip', 'invite-token', { key: Buffer.alloc(32, 1), digest: Buffer.alloc(32, 2) }, clearAt),
      );
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    // No display: after its wait the clearer cannot reach xclip, which is not what is looked at here.
    const env = { PATH: process.env.PATH ?? '' };
    for (const clearAt of [now + 25_000, now - 3_000])
      await runClearJob(job(clearAt), env, sleep, () => now).catch(() => false);
    expect(waits).toEqual([25_000, 0]);
  });
});
