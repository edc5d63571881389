import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeTerminal, printing } from '../../../src-main/cli/printer';
import { memoryIo } from './cli-io';

/**
 * The command line's one printer (issue 11, finding 5): remote text must never reach a terminal raw.
 * Whatever goes in, what comes out holds no character a terminal acts on — no C0 control but tab and
 * newline, no ESC (CSI, OSC 52 clipboard writes, title changes), no lone CR (line overwrite), no DEL, no
 * C1 control, no bidi embedding, override, isolate or mark, no line or paragraph separator.
 */
const ACTIVE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is looked for
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** Strings built from what hostile servers send: escape sequences, controls, bidi, next to plain text. */
const hostileText = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        '\u001b]52;c;aGVsbG8=\u0007',
        '\u001b]0;owned\u001b\\',
        '\u001b[2K\r',
        '\u001b[31m',
        '\u009b2J',
        '\r',
        '\r\n',
        '\u202e',
        '\u2066',
        '\u200f',
        '\u0000',
        '\u007f',
        '\u0085',
        '\u2028',
      ),
    ),
  )
  .map((parts) => parts.join(''));

describe('escapeTerminal', () => {
  it('lets nothing a terminal acts on through, whatever the text', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        expect(escapeTerminal(text)).not.toMatch(ACTIVE);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps every other character and the line structure: plain text comes out unchanged', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const plain = text.replace(new RegExp(ACTIVE.source, 'g'), '').replace(/\r/g, '');
        expect(escapeTerminal(plain)).toBe(plain);
      }),
    );
  });

  it('is idempotent, so printing twice never mangles what was escaped once', () => {
    fc.assert(
      fc.property(hostileText, (text) => {
        const once = escapeTerminal(text);
        expect(escapeTerminal(once)).toBe(once);
      }),
    );
  });

  it('keeps JSON output valid and equal to what was serialised', () => {
    fc.assert(
      fc.property(fc.jsonValue(), hostileText, (value, text) => {
        const json = JSON.stringify({ value, text });
        expect(JSON.parse(escapeTerminal(json))).toEqual(JSON.parse(json));
      }),
    );
  });

  it('shows hostile sequences as visible text', () => {
    expect(escapeTerminal('ok\u001b]52;c;aGk=\u0007')).toBe('ok\\x1b]52;c;aGk=\\x07');
    expect(escapeTerminal('active\r\u001b[2Kfailed\n')).toBe('active\\r\\x1b[2Kfailed\n');
    expect(escapeTerminal('a\r\nb')).toBe('a\nb');
    expect(escapeTerminal('\u202egnp.exe\u2069 \u009b1m')).toBe('\\u202egnp.exe\\u2069 \\u009b1m');
    expect(escapeTerminal('tab\tand ünïcödé → ✓ 日本')).toBe('tab\tand ünïcödé → ✓ 日本');
  });
});

describe('printing', () => {
  it('escapes both streams and passes the rest of the io through', () => {
    const { io, out } = memoryIo({ tty: true });
    const printed = printing({ ...io, name: 'npm run cli --' });
    printed.stdout('unit \u001b[32mactive\u001b[0m\n');
    printed.stderr('\u001b]0;title\u0007\n');
    expect(out).toEqual({ stdout: 'unit \\x1b[32mactive\\x1b[0m\n', stderr: '\\x1b]0;title\\x07\n' });
    expect(printed.stdin).toBe(io.stdin);
    expect(printed.name).toBe('npm run cli --');
  });
});

describe('no CLI output bypasses the printer', () => {
  it('only printer.ts touches process.stdout, process.stderr or console', async () => {
    const dir = join(import.meta.dirname, '../../../src-main/cli');
    const offenders: string[] = [];
    for (const file of await readdir(dir)) {
      if (!file.endsWith('.ts') || file === 'printer.ts') continue;
      const text = await readFile(join(dir, file), 'utf8');
      if (/process\.(stdout|stderr)|console\.|\.write\(/.test(text)) offenders.push(file);
    }
    expect(offenders).toEqual([]);
  });
});
