import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AnsibleOutputParser,
  describeAnsibleProblem,
  parseAnsibleOutput,
} from '../../../../src-main/core/runbook/ansible-output';

/** Real ansible-playbook 2.14 output (default callback, no colour), captured from runs against localhost. */
const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, 'fixtures', 'ansible', `${name}.txt`), 'utf8');

describe('parseAnsibleOutput', () => {
  it('reads a clean run: recap per host, no failure', () => {
    const s = parseAnsibleOutput(fixture('ok1'));
    expect(s.ok).toBe(true);
    expect(s.recap).toEqual([
      {
        host: 'matrix.lab.test',
        ok: 3,
        changed: 1,
        unreachable: 0,
        failed: 0,
        skipped: 0,
        rescued: 0,
        ignored: 0,
      },
    ]);
    expect(s.firstFailure).toBeNull();
    expect(describeAnsibleProblem(s)).toBeNull();
  });

  it('names the first failed task and Ansible’s message', () => {
    const s = parseAnsibleOutput(fixture('failed-task'));
    expect(s.ok).toBe(false);
    expect(s.firstFailure).toMatchObject({
      kind: 'failed',
      task: 'Check allowed list',
      host: 'matrix.lab.test',
      play: 'Set up a Matrix server',
      message: 'Assertion failed',
    });
    expect(s.recap[0]?.failed).toBe(1);
    expect(describeAnsibleProblem(s)).toBe(
      'Ansible failed at task "Check allowed list" on matrix.lab.test: Assertion failed',
    );
  });

  it('reports a vars.yml that is not YAML (no task, no recap) with its location', () => {
    const s = parseAnsibleOutput(fixture('broken-yaml'));
    expect(s.ok).toBe(false);
    expect(s.recap).toEqual([]);
    expect(s.firstFailure).toBeNull();
    expect(s.error).toContain('Syntax Error while loading YAML. did not find expected key');
    expect(s.error).toContain('/tmp/af/inventory/host_vars/matrix.lab.test/vars.yml, line 4, column 2');
    expect(describeAnsibleProblem(s)).toMatch(/^Ansible stopped with an error: We were unable to read/);
  });

  it('skips ignored failures, reports unreachable hosts first and loop items', () => {
    const s = parseAnsibleOutput(fixture('multi'));
    expect(s.ok).toBe(false);
    expect(s.firstFailure).toMatchObject({
      kind: 'unreachable',
      task: 'Ensure matrix-tuwunel paths exist',
      host: 'other.lab.test',
    });
    expect(s.firstFailure?.message).toContain('Connection refused');
    expect(s.recap.map((h) => [h.host, h.failed, h.unreachable, h.ignored])).toEqual([
      ['matrix.lab.test', 1, 0, 1],
      ['other.lab.test', 0, 1, 0],
    ]);
  });

  it('finds a loop item failure when it is the first real one', () => {
    const text = fixture('multi').replace(/^fatal: \[other\.lab\.test\].*\n/m, '');
    const s = parseAnsibleOutput(text);
    expect(s.firstFailure).toMatchObject({
      kind: 'failed',
      task: 'Validate allowed remote server names',
      item: 'bad',
      message: 'non-zero return code',
    });
  });

  it('gives the same answer however the stream is chunked', () => {
    const text = fixture('failed-task');
    const whole = parseAnsibleOutput(text);
    for (const size of [1, 7, 64]) {
      const p = new AnsibleOutputParser();
      for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size));
      expect(p.finish()).toEqual(whole);
    }
  });

  it('ignores terminal colours', () => {
    const esc = String.fromCharCode(27);
    const coloured = fixture('failed-task')
      .replace(/^(fatal:.*)$/m, `${esc}[0;31m$1`)
      .replace(/^(PLAY RECAP.*)$/m, `${esc}[0m$1`);
    expect(parseAnsibleOutput(coloured)).toEqual(parseAnsibleOutput(fixture('failed-task')));
  });

  it('says when there is no recap at all', () => {
    expect(describeAnsibleProblem(parseAnsibleOutput('PLAY [x] ****\n'))).toBe(
      'Ansible ended without a PLAY RECAP.',
    );
  });
});
