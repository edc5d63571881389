import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_MARKER_LINE,
  PromptWatcher,
  StdoutUnwrapper,
  sudoFailureReason,
  wrapCommand,
} from '../../../../src-main/core/ssh/remote-command';
import { TailBuffer } from '../../../../src-main/core/ssh/tail-buffer';
import { sweep } from '../../../support/sweep';

/** Cuts `text` at the given positions, as TCP may deliver it. */
function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let last = 0;
  for (const p of points) {
    parts.push(text.slice(last, p));
    last = p;
  }
  parts.push(text.slice(last));
  return parts;
}

describe('wrapCommand', () => {
  it('runs the command under /bin/sh after reporting its pid, start time, group and session, whatever the login shell', () => {
    for (const loginShell of ['bash', 'dash']) {
      const wrapped = wrapCommand(
        `printf 'it'"'"'s %s\\n' "$0"; echo err >&2; cat /proc/$$/stat >&2; exit 7`,
        'none',
      );
      // setsid: a session leader of its own, as sshd makes the login shell of every channel.
      const r = spawnSync('setsid', [loginShell, '-c', wrapped.line], { encoding: 'utf8' });
      const unwrapper = new StdoutUnwrapper(wrapped.marker, 'none');
      const { text, events } = unwrapper.push(r.stdout);
      const [err, stat = ''] = r.stderr.split('\n');
      const startTime = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19]);
      expect(startTime).toBeGreaterThan(0);
      expect(events).toEqual([
        { kind: 'wrapper', wrapper: { pid: r.pid, startTime, pgid: r.pid, sid: r.pid } },
      ]);
      expect(text + unwrapper.flush()).toBe("it's /bin/sh\n");
      expect(err).toBe('err');
      expect(r.status).toBe(7);
    }
  });

  it('builds a sudo line with the marker prompt, or -n when no password is stored', () => {
    const withPassword = wrapCommand('id -u', 'password', 'hstMARK');
    expect(withPassword.line).toContain('exec sudo -S -p ');
    expect(withPassword.line).toContain('hstMARK sudo-pw:');
    expect(withPassword.sudoPrompt).toBe('hstMARK sudo-pw:');
    expect(wrapCommand('id -u', 'passwordless', 'hstMARK').line).toContain('exec sudo -n -- /bin/sh -c');
  });
});

describe('StdoutUnwrapper', () => {
  it('takes the marker lines out wherever the stream is cut, and passes everything else on', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(200), { maxLength: 8 }), fc.boolean(), (cuts, sudo) => {
        const marker = 'hstabc123';
        const rcNoise = 'motd from an rc file\npartial';
        const body = 'hello\nworld without newline';
        const stream = `${rcNoise}${marker} proc 4242 99 4242 4241\n${sudo ? `${marker} sudo-ok\n` : ''}${body}`;
        const unwrapper = new StdoutUnwrapper(marker, sudo ? 'password' : 'none');
        let text = '';
        const events: unknown[] = [];
        for (const part of splitAt(stream, cuts)) {
          const r = unwrapper.push(part);
          text += r.text;
          events.push(...r.events);
        }
        text += unwrapper.flush();
        expect(text).toBe(`${rcNoise}${body}`);
        expect(events).toEqual([
          { kind: 'wrapper', wrapper: { pid: 4242, startTime: 99, pgid: 4242, sid: 4241 } },
          ...(sudo ? [{ kind: 'sudo-ok' }] : []),
        ]);
      }),
      { numRuns: sweep(100) },
    );
  });

  it('accepts marker lines ending in CRLF (a pty between sudo and the command)', () => {
    const unwrapper = new StdoutUnwrapper('hstm', 'password');
    expect(unwrapper.push('hstm proc 12 34 12 12\r\nhstm sudo-ok\r\nout\r\n')).toEqual({
      text: 'out\r\n',
      events: [
        { kind: 'wrapper', wrapper: { pid: 12, startTime: 34, pgid: 12, sid: 12 } },
        { kind: 'sudo-ok' },
      ],
    });
  });

  it('reports a wrapper that could not read /proc as null', () => {
    const unwrapper = new StdoutUnwrapper('hstm', 'none');
    expect(unwrapper.push('hstm proc 12   \nout').events).toEqual([{ kind: 'wrapper', wrapper: null }]);
  });
});

/**
 * What a host prints before the wrapper's marker line (an rc file, a hostile sshd) is the host's to
 * choose. Before the fix it was held whole until a newline came: 10 MB without one took 410 MB.
 */
describe('StdoutUnwrapper bounds what it holds', () => {
  const marker = 'hstabc123';

  it('passes 10 MB printed before the marker on at once, holding back no more than a marker could need', () => {
    const unwrapper = new StdoutUnwrapper(marker, 'none');
    const chunk = 'x'.repeat(32 * 1024);
    let pushed = 0;
    let passed = 0;
    for (let i = 0; i < 320; i++) {
      pushed += chunk.length;
      passed += unwrapper.push(chunk).text.length;
      expect(pushed - passed).toBeLessThan(marker.length + 1);
    }
    const end = unwrapper.push(`${marker} proc 1 2 3 4\nbody`);
    expect(end.events).toEqual([{ kind: 'wrapper', wrapper: { pid: 1, startTime: 2, pgid: 3, sid: 4 } }]);
    expect(passed + end.text.length).toBe(pushed + 'body'.length);
  });

  it('holds at most a marker line, wherever the stream is cut and whatever surrounds the markers', () => {
    const noise = fc.string({
      unit: fc.constantFrom('a', ' ', '\n', '\r', 'h', 's', 't', `${marker}`),
      maxLength: 400,
    });
    fc.assert(
      fc.property(
        noise,
        noise,
        fc.array(fc.nat(2000), { maxLength: 10 }),
        fc.boolean(),
        (before, after, cuts, sudo) => {
          const lines = `${marker} proc 12 34 12 12\n${sudo ? `${marker} sudo-ok\n` : ''}`;
          const stream = `${before.replaceAll(marker, '')}${lines}${after}`;
          const unwrapper = new StdoutUnwrapper(marker, sudo ? 'password' : 'none');
          let pushed = 0;
          let passed = 0;
          for (const part of splitAt(stream, cuts)) {
            pushed += part.length;
            passed += unwrapper.push(part).text.length;
            expect(pushed - passed).toBeLessThanOrEqual(MAX_MARKER_LINE + lines.length);
          }
          expect(passed + unwrapper.flush().length).toBe(stream.length - lines.length);
        },
      ),
      { numRuns: sweep(300) },
    );
  });

  it('ends a marker line longer than any the wrapper prints, and passes the rest on', () => {
    const unwrapper = new StdoutUnwrapper(marker, 'none');
    const head = `${marker} proc 1 2 3 4`;
    const r = unwrapper.push(`${head}${'x'.repeat(1_000_000)}\nbody`);
    expect(r.events).toEqual([{ kind: 'wrapper', wrapper: null }]);
    expect(r.text).toBe(`${'x'.repeat(1_000_000 - (MAX_MARKER_LINE - head.length))}\nbody`);
  });
});

describe('PromptWatcher', () => {
  it('counts and strips the prompt wherever the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(120), { maxLength: 8 }), fc.integer({ min: 0, max: 3 }), (cuts, times) => {
        const prompt = 'hstabc sudo-pw:';
        const stream = `lecture\n${Array.from({ length: times }, () => `${prompt}Sorry, try again.\n`).join('')}hst tail`;
        const watcher = new PromptWatcher(prompt);
        let text = '';
        for (const part of splitAt(stream, cuts)) text += watcher.push(part).text;
        text += watcher.flush();
        expect(watcher.count).toBe(times);
        expect(text).toBe(`lecture\n${'Sorry, try again.\n'.repeat(times)}hst tail`);
      }),
      { numRuns: sweep(100) },
    );
  });
});

describe('sudoFailureReason', () => {
  it.each([
    [
      'Sorry, try again.\nsudo: 1 incorrect password attempt\n',
      1,
      true,
      'the stored sudo password was not accepted',
    ],
    ['', 2, true, 'the stored sudo password was not accepted'],
    ['sudo: a password is required\n', 0, false, 'it needs a password and none is stored'],
    ['admin is not in the sudoers file.\n', 1, true, 'this user may not run commands with sudo'],
    ['bash: line 1: sudo: command not found\n', 0, false, 'sudo is not installed on the host'],
    [
      'sudo: PAM account management error: Authentication service cannot retrieve authentication info\n',
      0,
      false,
      'it said "sudo: PAM account management error: Authentication service cannot retrieve authentication info"',
    ],
    ['', 0, false, 'it ended before running the command'],
  ])('%j → %s', (stderr, prompts, hadPassword, reason) => {
    expect(sudoFailureReason(stderr, prompts, hadPassword)).toBe(reason);
  });
});

describe('TailBuffer', () => {
  it('keeps exactly the last `limit` characters of any sequence of chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40 })),
        fc.integer({ min: 1, max: 64 }),
        (chunks, limit) => {
          const buffer = new TailBuffer(limit);
          for (const c of chunks) buffer.push(c);
          const all = chunks.join('');
          expect(buffer.toString()).toBe(all.slice(Math.max(0, all.length - limit)));
          expect(buffer.droppedChars).toBe(Math.max(0, all.length - limit));
        },
      ),
      { numRuns: sweep(100) },
    );
  });
});
