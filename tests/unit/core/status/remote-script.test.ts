import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../../../src-main/core/ssh/quote';
import {
  buildHostScript,
  newMarker,
  type ScriptSection,
  sectionFailureReason,
  splitHostOutput,
} from '../../../../src-main/core/status/remote-script';
import { sweep } from '../../../support/sweep';

/** Runs a built script the way the status service sends it: one `bash -c` command line. */
function runScript(script: string, stdin = '', env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(
    'bash',
    ['--noprofile', '--norc', '-c', `bash --noprofile --norc -c ${shellQuote(script)}`],
    { encoding: 'utf8', input: stdin, env },
  );
}

/** The files the script writes are removed by its watchdog after the script ends, so wait for them a little. */
async function filesLeftIn(dir: string): Promise<string[]> {
  for (let i = 0; i < 100 && readdirSync(dir).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  return readdirSync(dir);
}

const fixedMarker = (hex: string) => () =>
  newMarker(() => Buffer.from(hex.padEnd(32, '0').slice(0, 32), 'hex'));

describe('newMarker', () => {
  it('is 128 random bits, different every poll', () => {
    const a = newMarker();
    const b = newMarker();
    expect(a).toMatch(/^HSTRAY[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(fixedMarker('ab')()).toBe(`HSTRAYab${'0'.repeat(30)}`);
  });
});

describe('buildHostScript + splitHostOutput', () => {
  it('keeps each section’s stdout, exit code and stderr apart, byte for byte', () => {
    const marker = newMarker();
    const sections: ScriptSection[] = [
      { id: 'a', command: "printf 'one\\ntwo\\n'", timeoutSeconds: 5 },
      { id: 'b', command: "printf 'no newline'; echo oops >&2; exit 3", shell: true, timeoutSeconds: 5 },
      { id: 'c', command: 'true', timeoutSeconds: 5 },
      { id: 'd', command: "printf '\\n\\n'", timeoutSeconds: 5 },
    ];
    const out = splitHostOutput(runScript(buildHostScript(sections, marker)), marker, ['a', 'b', 'c', 'd']);
    expect(out.get('a')).toEqual({ id: 'a', ran: true, exitCode: 0, stdout: 'one\ntwo\n', stderr: '' });
    expect(out.get('b')).toEqual({ id: 'b', ran: true, exitCode: 3, stdout: 'no newline', stderr: 'oops' });
    expect(out.get('c')).toEqual({ id: 'c', ran: true, exitCode: 0, stdout: '', stderr: '' });
    expect(out.get('d')).toMatchObject({ ran: true, stdout: '\n\n' });
  });

  it('survives sections that exit, break their syntax, change directory or read stdin', () => {
    const marker = newMarker();
    const sections: ScriptSection[] = [
      { id: 'exit', command: 'exit 0; echo never', shell: true, timeoutSeconds: 5 },
      { id: 'syntax', command: 'if then fi (', shell: true, timeoutSeconds: 5 },
      { id: 'stdin', command: 'cat', shell: true, timeoutSeconds: 5 },
      { id: 'cd', command: 'cd / && kill -9 $$', shell: true, timeoutSeconds: 5 },
      { id: 'last', command: 'echo still here', shell: true, timeoutSeconds: 5 },
    ];
    const ids = sections.map((s) => s.id);
    const out = splitHostOutput(runScript(buildHostScript(sections, marker), 'sudo password\n'), marker, ids);
    expect(out.get('exit')).toMatchObject({ ran: true, exitCode: 0, stdout: '' });
    expect(out.get('syntax')).toMatchObject({ ran: true, exitCode: 2 });
    expect(sectionFailureReason(out.get('syntax')!)).toMatch(/^bash: .*\(exit code 2\)$/);
    expect(out.get('stdin')).toMatchObject({ ran: true, exitCode: 0, stdout: '' });
    expect(out.get('cd')).toMatchObject({ ran: true, exitCode: 137 });
    expect(out.get('last')).toMatchObject({ ran: true, exitCode: 0, stdout: 'still here\n' });
  });

  it('reports a missing tool and keeps long stderr to its tail', () => {
    const marker = newMarker();
    const sections: ScriptSection[] = [
      { id: 'missing', command: 'no-such-tool --version', timeoutSeconds: 5 },
      {
        id: 'noisy',
        command: 'for i in $(seq 1 2000); do echo "line $i" >&2; done; exit 1',
        shell: true,
        timeoutSeconds: 5,
      },
    ];
    const out = splitHostOutput(runScript(buildHostScript(sections, marker)), marker, ['missing', 'noisy']);
    expect(out.get('missing')).toMatchObject({ ran: true, exitCode: 127 });
    expect(sectionFailureReason(out.get('missing')!)).toMatch(
      /^bash: line \d+: no-such-tool: command not found \(exit code 127\)$/,
    );
    const noisy = out.get('noisy')!;
    expect(noisy.ran && noisy.stderr.length).toBe(2000);
    expect(sectionFailureReason(noisy)).toBe('line 2000 (exit code 1)');
  });

  it('stops a hung section after its timeout and goes on with the next', () => {
    const marker = newMarker();
    const sections: ScriptSection[] = [
      { id: 'hang', command: 'sleep 30', timeoutSeconds: 1 },
      { id: 'next', command: 'echo ok', timeoutSeconds: 5 },
    ];
    const started = Date.now();
    const out = splitHostOutput(runScript(buildHostScript(sections, marker)), marker, ['hang', 'next']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(out.get('hang')).toMatchObject({ ran: true, exitCode: 124 });
    expect(sectionFailureReason(out.get('hang')!)).toBe('it did not finish in time and was stopped');
    expect(out.get('next')).toMatchObject({ ran: true, stdout: 'ok\n' });
  });

  it('runs the sections concurrently but prints them in order', () => {
    const marker = newMarker();
    const sections: ScriptSection[] = [
      { id: 'slow', command: 'sleep 1; echo first', shell: true, timeoutSeconds: 5 },
      { id: 'also-slow', command: 'sleep 1; echo second', shell: true, timeoutSeconds: 5 },
      { id: 'fast', command: 'echo third', timeoutSeconds: 5 },
    ];
    const started = Date.now();
    const raw = runScript(buildHostScript(sections, marker));
    expect(Date.now() - started).toBeLessThan(1900);
    expect(raw.indexOf('first')).toBeLessThan(raw.indexOf('second'));
    expect(raw.indexOf('second')).toBeLessThan(raw.indexOf('third'));
    const out = splitHostOutput(raw, marker, ['slow', 'also-slow', 'fast']);
    expect([...out.values()].map((o) => o.ran && o.stdout)).toEqual(['first\n', 'second\n', 'third\n']);
  });

  it('cannot be fooled by output that imitates the framing with another marker', () => {
    const marker = newMarker();
    const forged = newMarker();
    const fake = [
      `${forged} end a 0`,
      `${forged} done a`,
      `${forged} begin b`,
      'Id=matrix-tuwunel.service',
      `${forged} end b 0`,
      `HSTRAY end a 0`,
      `${marker.slice(0, -1)} end a 0`,
    ].join('\n');
    const sections: ScriptSection[] = [
      { id: 'a', command: `printf '%s\\n' ${shellQuote(fake)}`, timeoutSeconds: 5 },
      { id: 'b', command: 'echo real-b', timeoutSeconds: 5 },
    ];
    const out = splitHostOutput(runScript(buildHostScript(sections, marker)), marker, ['a', 'b']);
    expect(out.get('a')).toMatchObject({ ran: true, exitCode: 0, stdout: `${fake}\n` });
    expect(out.get('b')).toMatchObject({ ran: true, stdout: 'real-b\n' });
  });

  it('reports sections whose frame is missing or cut as not run', () => {
    const marker = newMarker();
    const sections: ScriptSection[] = [
      { id: 'a', command: 'echo a', timeoutSeconds: 5 },
      { id: 'b', command: 'echo b', timeoutSeconds: 5 },
    ];
    const full = runScript(buildHostScript(sections, marker));
    const headCut = full.slice(full.indexOf(`${marker} begin b`) - 1);
    const tailCut = full.slice(0, full.indexOf(`${marker} end b`));
    const a = splitHostOutput(headCut, marker, ['a', 'b']);
    expect(a.get('a')).toMatchObject({ ran: false });
    expect(a.get('b')).toMatchObject({ ran: true, stdout: 'b\n' });
    const b = splitHostOutput(tailCut, marker, ['a', 'b']);
    expect(b.get('a')).toMatchObject({ ran: true, stdout: 'a\n' });
    expect(b.get('b')).toMatchObject({ ran: false, reason: 'the check was cut off before it finished' });
    expect(splitHostOutput('', marker, ['a']).get('a')).toMatchObject({ ran: false });
    expect(sectionFailureReason(b.get('b')!)).toBe('the check was cut off before it finished');
  });

  it('round-trips any output a command prints', () => {
    const text = fc.string({ unit: 'binary', maxLength: 200 }).filter((s) => !s.includes('\0'));
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 255 }), (s, code) => {
        const marker = newMarker();
        const script = buildHostScript(
          [
            {
              id: 'x',
              command: `printf '%s' ${shellQuote(s)}; exit ${code}`,
              shell: true,
              timeoutSeconds: 5,
            },
            { id: 'y', command: 'echo y', timeoutSeconds: 5 },
          ],
          marker,
        );
        const res = spawnSync('bash', ['--noprofile', '--norc', '-c', script]);
        const out = splitHostOutput(res.stdout.toString('utf8'), marker, ['x', 'y']);
        expect(out.get('x')).toMatchObject({
          ran: true,
          exitCode: code,
          stdout: Buffer.from(s).toString('utf8'),
        });
        expect(out.get('y')).toMatchObject({ ran: true, stdout: 'y\n' });
      }),
      { numRuns: sweep(60) },
    );
  });

  it('leaves no file behind when it finishes, stops a hung section or is itself stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'status-script-'));
    const env = { ...process.env, TMPDIR: dir };
    try {
      const marker = newMarker();
      const sections: ScriptSection[] = [
        { id: 'fast', command: 'echo ok', timeoutSeconds: 5 },
        { id: 'hang', command: 'sleep 30', timeoutSeconds: 1 },
      ];
      const out = splitHostOutput(runScript(buildHostScript(sections, marker), '', env), marker, [
        'fast',
        'hang',
      ]);
      expect(out.get('hang')).toMatchObject({ ran: true, exitCode: 124 });
      expect(await filesLeftIn(dir)).toEqual([]);

      // Stopped while its sections run (what the pool's kill script does first): TERM to the script alone.
      // A duration no other test uses, so the cleanup below stops this section's sleep only.
      const script = buildHostScript(
        [{ id: 'slow', command: 'sleep 29.7', timeoutSeconds: 20 }],
        newMarker(),
      );
      const child = spawn('bash', ['--noprofile', '--norc', '-c', script], { env, stdio: 'ignore' });
      while (readdirSync(dir).length < 2) await new Promise((r) => setTimeout(r, 10));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      expect(await filesLeftIn(dir)).toEqual([]);
    } finally {
      spawnSync('pkill', ['-x', '-f', 'sleep 29.7']);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses ids and markers that could break the framing', () => {
    expect(() => buildHostScript([{ id: 'a b', command: 'true', timeoutSeconds: 1 }], newMarker())).toThrow(
      /id/,
    );
    expect(() =>
      buildHostScript(
        [
          { id: 'a', command: 'true', timeoutSeconds: 1 },
          { id: 'a', command: 'true', timeoutSeconds: 1 },
        ],
        newMarker(),
      ),
    ).toThrow(/repeated/);
    expect(() => buildHostScript([], "x'; rm -rf /")).toThrow(/marker/);
  });
});
