import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopLevelKey } from '../../../src-main/core/vault/yaml-key';
import { VAULT_FILE } from '../../lab/deploy/vault';
import { testChild } from '../../support/test-child';
import { git, startTokenLab, type TokenLab } from '../token/token-lab';

/**
 * Two app instances racing a token rotation on the same vault repository: separate processes, separate
 * data folders (so no host lock of theirs sees the other), only the lock file in the repository's git
 * folder between them. The crash safety of every rotation step is tests/integration/token/rotation-kill.test.ts.
 */

interface Child {
  process: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

function start(script: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, [testChild(new URL(script, import.meta.url)), ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    const parts = (partial + c).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      if (code !== 0 && stderr) lines.push(`STDERR ${stderr}`);
      resolve(code);
    }),
  );
  return { process: child, lines, exited };
}

async function until(what: string, ready: () => boolean, children: Child[], ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}: ${JSON.stringify(children.map((c) => c.lines))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the rotation lock between processes', () => {
  it('two processes trying at the same instant, round after round: never two holders at once', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'lock-race-'));
    const rounds = 80;
    const period = 120;
    const children = [0, 1].map(() =>
      start('lock-race-child.ts', [folder, String(rounds), String(period)], process.env),
    );
    try {
      await until('both contenders', () => children.every((c) => c.lines.includes('READY')), children);
      const firstAt = Date.now() + 500;
      for (const c of children) c.process.stdin?.write(`${firstAt}\n`);
      const codes = await Promise.all(children.map((c) => c.exited));
      expect(codes).toEqual([0, 0]);
      const [a, b] = children.map(
        (c) =>
          new Map(
            (c.lines.find((l) => /^0:/.test(l)) ?? '')
              .split(' ')
              .map((r) => r.split(':') as [string, string]),
          ),
      );
      const overlaps: string[] = [];
      let refusals = 0;
      for (let round = 0; round < rounds; round++) {
        const results = [a?.get(String(round)), b?.get(String(round))];
        for (const r of results) {
          if (r === undefined) throw new Error(`round ${round} is missing: ${children.map((c) => c.lines)}`);
          if (!/^\d/.test(r)) {
            expect(r).toBe('RotationInProgress');
            refusals += 1;
          }
        }
        const held = results
          .filter((r) => /^\d/.test(r ?? ''))
          .map((r) => (r as string).split('-').map(Number));
        if (held.length === 2) {
          const [[a1 = 0, a2 = 0] = [], [b1 = 0, b2 = 0] = []] = held;
          if (a1 < b2 && b1 < a2) overlaps.push(`round ${round}: ${results.join(' and ')}`);
        }
      }
      expect(overlaps).toEqual([]);
      // The contest was real: most rounds one of the two was turned away.
      expect(refusals).toBeGreaterThan(rounds / 2);
    } finally {
      for (const c of children) c.process.kill('SIGKILL');
      await rm(folder, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('two app instances racing token.rotate', () => {
  let t: TokenLab;
  beforeAll(async () => {
    t = await startTokenLab();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('one rotates, the other is refused by the lock file with RotationInProgress; the vault stays whole', async () => {
    const repo = t.lab.repos.vaultWorkstation;
    const scratch = await mkdtemp(join(tmpdir(), 'rotation-race-'));
    const goFile = join(scratch, 'go');
    const headBefore = await git(repo, 'rev-parse', 'HEAD');
    const tokenBefore = readTopLevelKey(
      Buffer.from((await t.view()).plaintext),
      'vault_matrix_registration_token',
    );
    const children = ['a', 'b'].map((name) =>
      start('rotation-race-child.ts', [t.profilePath, join(scratch, name), goFile], process.env),
    );
    try {
      await until('both instances', () => children.every((c) => c.lines.includes('READY')), children);
      for (const c of children) c.process.stdin?.write('go\n');
      const locked = () => children.filter((c) => c.lines.includes('LOCKED'));
      const done = () => children.filter((c) => c.lines.some((l) => l.startsWith('DONE ')));
      await until(
        'one holder and one refusal',
        () => locked().length === 2 || (locked().length === 1 && done().length === 1),
        children,
      );
      expect(locked()).toHaveLength(1);
      await writeFile(goFile, '');
      expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);

      const summaries = children.map((c) =>
        JSON.parse((c.lines.find((l) => l.startsWith('DONE ')) ?? 'DONE {}').slice(5)),
      );
      const winner = summaries.find((s) => s.state === 'ok');
      const loser = summaries.find((s) => s.state !== 'ok');
      expect(winner, JSON.stringify(summaries)).toBeDefined();
      expect(loser).toMatchObject({ state: 'failed', failingStep: 'lock' });
      expect(loser.lockError).toMatchObject({
        code: 'RotationInProgress',
        nextStep: expect.stringContaining('Wait for the other rotation to finish'),
      });
      const quoted = repo.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      expect(loser.lockError.message).toMatch(
        new RegExp(
          `^Another token rotation is running on ${quoted} \\(process ${winner.pid}, started \\d{4}-[^)]+\\); a second one was refused\\.$`,
        ),
      );
      expect(loser.later.every((s: string) => s === 'skipped')).toBe(true);
      // Each instance keeps its own audit trail; the refused one's says so.
      const audit = (name: string) =>
        readFile(join(scratch, name, 'audit.jsonl'), 'utf8').then((s) =>
          s
            .trim()
            .split('\n')
            .map((l) => JSON.parse(l)),
        );
      const trails = [...(await audit('a')), ...(await audit('b'))];
      expect(trails.map((r) => [r.action, r.outcome, r.failingStep]).sort()).toEqual([
        ['token.rotate', 'failed', 'lock'],
        ['token.rotate', 'ok', null],
      ]);

      // Exactly one rotation happened, it reached the remote and the deploy host, and ansible-vault opens it.
      const head = await git(repo, 'rev-parse', 'HEAD');
      expect(await git(repo, 'rev-parse', 'HEAD^')).toBe(headBefore);
      expect(await git(t.lab.repos.vaultRemote, 'rev-parse', 'main')).toBe(head);
      expect(await git(t.lab.repos.vaultDeploy, 'rev-parse', 'HEAD')).toBe(head);
      const viewed = await t.view();
      expect(viewed.code, viewed.stderr).toBe(0);
      const token = readTopLevelKey(Buffer.from(viewed.plaintext), 'vault_matrix_registration_token');
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      expect(token).not.toBe(tokenBefore);
      const folder = dirname(join(repo, VAULT_FILE));
      const files = await readdir(folder);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(files.filter((f) => f.includes('.bak.'))).toHaveLength(1);
      expect(await readdir(join(repo, '.git', 'homeserver-tray'))).not.toContain('rotation.lock');
    } finally {
      await writeFile(goFile, '').catch(() => {});
      for (const c of children) c.process.kill('SIGKILL');
      await rm(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});
