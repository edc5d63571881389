import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ActionRefused } from '../../../../src-main/core/runbook/errors';
import {
  ALLOWLIST_KEY,
  editAllowlist,
  entryMatches,
  serverRegex,
} from '../../../../src-main/core/runbook/federation-edit';
import { serverNameParam } from '../../../../src-main/core/runbook/params';
import { sweep } from '../../../support/sweep';

const VARS = `---
# The runbook's host_vars (secrets are in here too)
matrix_domain: rampancy.cloud
matrix_homeserver_generic_secret_key: 'do-not-show-me'   # secret

# Federation allowlist — MUST keep our own name (lesson #1)
${ALLOWLIST_KEY}:
  - rampancy.cloud   # own
  - '^matrix\\.org$'
  - "chat.dacool.zone"
matrix_tuwunel_environment_variables_extension: |
  TUWUNEL_ALLOW_LEGACY_MEDIA=true
# trailing comment
`;

const list = (text: string) => (parse(text) as Record<string, string[]>)[ALLOWLIST_KEY];

describe('editAllowlist', () => {
  it('appends an anchored, escaped regex and changes no other byte', () => {
    const edit = editAllowlist(VARS, 'allow', 'chat.example.org', 'rampancy.cloud');
    expect(edit.changed).toBe(true);
    expect(edit.text).toBe(
      VARS.replace(
        '  - "chat.dacool.zone"\n',
        () => `  - "chat.dacool.zone"\n  - '^chat\\.example\\.org$'\n`,
      ),
    );
    expect(list(edit.text)).toEqual([
      'rampancy.cloud',
      '^matrix\\.org$',
      'chat.dacool.zone',
      '^chat\\.example\\.org$',
    ]);
    expect(edit.diff).toBe(
      [
        '--- vars.yml',
        '+++ vars.yml (edited)',
        `@@ ${ALLOWLIST_KEY} @@`,
        ` ${ALLOWLIST_KEY}:`,
        '   - rampancy.cloud   # own',
        "   - '^matrix\\.org$'",
        '   - "chat.dacool.zone"',
        "+  - '^chat\\.example\\.org$'",
        '',
      ].join('\n'),
    );
    expect(edit.diff).not.toContain('do-not-show-me');
    expect(edit.warnings.join(' ')).toMatch(/"rampancy.cloud", "chat.dacool.zone" are not anchored/);
  });

  it('removes a peer in whichever form it was written, keeping comments', () => {
    for (const server of ['matrix.org', 'chat.dacool.zone']) {
      const edit = editAllowlist(VARS, 'disallow', server, 'rampancy.cloud');
      expect(edit.changed).toBe(true);
      expect(list(edit.text)).not.toContain(server === 'matrix.org' ? '^matrix\\.org$' : server);
      expect(edit.text).toContain('# Federation allowlist — MUST keep our own name (lesson #1)');
      expect(edit.text).toContain('  - rampancy.cloud   # own');
      expect(edit.text.split('\n').length).toBe(VARS.split('\n').length - 1);
      expect(edit.diff.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'))).toHaveLength(1);
    }
  });

  it('refuses to remove the own server name (lesson #1), in any case', () => {
    for (const own of ['rampancy.cloud', 'RAMPANCY.cloud']) {
      expect(() => editAllowlist(VARS, 'disallow', own, 'rampancy.cloud')).toThrow(ActionRefused);
      expect(() => editAllowlist(VARS, 'disallow', own, 'rampancy.cloud')).toThrow(/lesson #1/);
    }
  });

  it('changes nothing for a server already allowed, or not listed', () => {
    expect(editAllowlist(VARS, 'allow', 'matrix.org', 'rampancy.cloud')).toMatchObject({
      changed: false,
      text: VARS,
    });
    const covered = editAllowlist(VARS, 'allow', 'rampancy.cloud.evil.net', 'rampancy.cloud');
    expect(covered).toMatchObject({ changed: false });
    expect(covered.message).toContain('already allowed by the entry "rampancy.cloud"');
    expect(editAllowlist(VARS, 'disallow', 'example.com', 'rampancy.cloud')).toMatchObject({
      changed: false,
    });
  });

  it('refuses to disallow a server a broader entry still lets through', () => {
    const text = `${ALLOWLIST_KEY}:\n  - rampancy.cloud\n  - '.*\\.example\\.com'\n  - '^a\\.example\\.com$'\n`;
    expect(() => editAllowlist(text, 'disallow', 'a.example.com', 'rampancy.cloud')).toThrow(
      /still be allowed by the entry/,
    );
  });

  it('refuses when there is no allowlist (federation open) or the file is not YAML', () => {
    expect(() => editAllowlist('matrix_domain: x\n', 'allow', 'a.org', 'x')).toThrow(/not in allowlist mode/);
    expect(() => editAllowlist(`${ALLOWLIST_KEY}: []\n`, 'allow', 'a.org', 'x')).toThrow(
      /not in allowlist mode/,
    );
    expect(() => editAllowlist(`a: [\n`, 'allow', 'a.org', 'x')).toThrow(/not valid YAML/);
    expect(() => editAllowlist(`${ALLOWLIST_KEY}: foo\n`, 'allow', 'a.org', 'x')).toThrow(/is not a list/);
  });

  it('edits flow lists, lists at column 0, CRLF files and files without a final newline', () => {
    const flow = editAllowlist(
      `a: 1\n${ALLOWLIST_KEY}: [rampancy.cloud, 'matrix.org'] # peers\nb: 2\n`,
      'allow',
      'x.org',
      'rampancy.cloud',
    );
    expect(flow.text).toBe(
      `a: 1\n${ALLOWLIST_KEY}: [rampancy.cloud, 'matrix.org', '^x\\.org$'] # peers\nb: 2\n`,
    );
    const col0 = editAllowlist(
      `${ALLOWLIST_KEY}:\n- rampancy.cloud\n- b.org\nz: 1`,
      'disallow',
      'b.org',
      'rampancy.cloud',
    );
    expect(col0.text).toBe(`${ALLOWLIST_KEY}:\n- rampancy.cloud\nz: 1`);
    const crlf = editAllowlist(
      `${ALLOWLIST_KEY}:\r\n  - rampancy.cloud\r\nz: 1\r\n`,
      'allow',
      'c.org',
      'rampancy.cloud',
    );
    expect(crlf.text).toBe(`${ALLOWLIST_KEY}:\r\n  - rampancy.cloud\r\n  - '^c\\.org$'\r\nz: 1\r\n`);
    const noNl = editAllowlist(`${ALLOWLIST_KEY}:\n  - rampancy.cloud`, 'allow', 'd.org', 'rampancy.cloud');
    expect(list(noNl.text)).toEqual(['rampancy.cloud', '^d\\.org$']);
  });

  it('writes IPv6 literals and ports as exact regexes', () => {
    expect(serverRegex('[::1]:8448')).toBe('^\\[::1\\]:8448$');
    expect(entryMatches(serverRegex('[::1]:8448'), '[::1]:8448')).toBe(true);
    expect(entryMatches(serverRegex('a.org'), 'aXorg')).toBe(false);
    expect(entryMatches('example.com', 'badexample.com')).toBe(true);
  });

  it('turns every valid server name into exactly one new entry that matches only that name', () => {
    const small = `${ALLOWLIST_KEY}:\n  - '^rampancy\\.cloud$'\n`;
    const hostile = fc.oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
      { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9.:[\]'"$\\ -]{1,30}$/) },
      { weight: 1, arbitrary: fc.domain() },
      { weight: 1, arbitrary: fc.ipV4().map((ip) => `${ip}:8448`) },
      { weight: 1, arbitrary: fc.ipV6().map((ip) => `[${ip}]`) },
    );
    const runs = sweep(10_000);
    const accepted = fc.sample(hostile, runs).filter((s) => serverNameParam.safeParse(s).success);
    expect(accepted.length).toBeGreaterThan(runs / 10);
    for (const server of accepted.slice(0, (runs * 3) / 20)) {
      const edit = editAllowlist(small, 'allow', server, 'rampancy.cloud');
      if (!edit.changed) {
        expect(server).toBe('rampancy.cloud');
        continue;
      }
      const after = list(edit.text) ?? [];
      expect(after).toEqual(['^rampancy\\.cloud$', serverRegex(server)]);
      expect(new RegExp(after[1] as string).test(server)).toBe(true);
      expect(new RegExp(after[1] as string).test(`x${server}`)).toBe(false);
    }
  }, 30_000);
});
