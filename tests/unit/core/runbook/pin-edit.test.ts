import { describe, expect, it } from 'vitest';
import { ActionRefused } from '../../../../src-main/core/runbook/errors';
import { editVersionPin, topLevelString } from '../../../../src-main/core/runbook/pin-edit';

const VARS = `---
# Pinned on purpose: read the runbook's Lessons appendix before bumping.
matrix_tuwunel_version: v1.7.0  # keep this comment

matrix_tuwunel_config_registration_token: "{{ vault_matrix_registration_token }}"
matrix_tuwunel_config_database_backup_path: /var/lib/tuwunel/backups
`;

describe('editVersionPin', () => {
  it('changes only the value, keeping the comments, and shows only that line', () => {
    const edit = editVersionPin(VARS, 'v1.9.0');
    expect(edit.from).toBe('v1.7.0');
    expect(edit.text).toBe(VARS.replace('v1.7.0  #', 'v1.9.0  #'));
    expect(edit.diff).toBe(
      '--- vars.yml\n+++ vars.yml (edited)\n@@ matrix_tuwunel_version @@\n-matrix_tuwunel_version: v1.7.0  # keep this comment\n+matrix_tuwunel_version: v1.9.0  # keep this comment\n',
    );
    expect(edit.diff).not.toContain('vault_matrix_registration_token');
  });

  it('keeps the quoting the file used', () => {
    expect(editVersionPin("matrix_tuwunel_version: 'v1.7.0'\n", 'v1.9.0').text).toBe(
      "matrix_tuwunel_version: 'v1.9.0'\n",
    );
    expect(editVersionPin('matrix_tuwunel_version: "v1.7.0"\n', 'v1.9.0').text).toBe(
      'matrix_tuwunel_version: "v1.9.0"\n',
    );
  });

  it('refuses what it cannot edit safely, with a sentence and a next step', () => {
    for (const [text, says] of [
      ['matrix_domain: lab.test\n', 'does not pin matrix_tuwunel_version'],
      [
        'matrix_tuwunel_version: v1.7.0\nmatrix_tuwunel_version: v1.8.0\n',
        'sets matrix_tuwunel_version 2 times',
      ],
      ['matrix_tuwunel_version: "{{ x }}"\n', 'is a template'],
      ['matrix_tuwunel_version: [v1]\n', 'is not a plain version string'],
      ['matrix_tuwunel_version: v1.7.0\n  bad: [\n', 'is not valid YAML'],
    ] as const) {
      let error: unknown;
      try {
        editVersionPin(text, 'v1.9.0');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ActionRefused);
      expect((error as ActionRefused).message).toContain(says);
      expect((error as ActionRefused).nextStep.length).toBeGreaterThan(10);
    }
  });

  it('reads top-level strings (the last of repeated keys, as Ansible does)', () => {
    expect(topLevelString(VARS, 'matrix_tuwunel_config_database_backup_path')).toBe(
      '/var/lib/tuwunel/backups',
    );
    expect(topLevelString(VARS, 'missing')).toBeNull();
    expect(topLevelString('a: 1\na: 2\n', 'a')).toBe('2');
    expect(topLevelString('a: [\n', 'a')).toBeNull();
  });
});
