import { describe, expect, it } from 'vitest';
import {
  allowlistEntryProblem,
  configFindings,
  safeAllowlistEntry,
  varsCommand,
  varsFilePath,
} from '../../../../src-main/core/status/checks/config-lint';
import type { Finding } from '../../../../src-main/core/status/types';

/** A vars.yml as matrix-docker-ansible-deploy's examples write it, with the runbook's settings. */
function vars(parts: { allowlist?: string; env?: string; version?: string; extra?: string } = {}): string {
  return `---
# The bare domain name which represents your Matrix identity.
matrix_domain: rampancy.cloud

matrix_homeserver_implementation: tuwunel
matrix_homeserver_generic_secret_key: '{{ vault_matrix_secret }}'
matrix_playbook_reverse_proxy_type: playbook-managed-traefik

${parts.version ?? 'matrix_tuwunel_version: v1.7.0'}

${
  parts.allowlist ??
  `matrix_tuwunel_config_allowed_remote_server_names:
  - '^rampancy\\.cloud$'
  - '^matrix\\.org$'
  - '^chat\\.dacool\\.zone$'`
}

${
  parts.env ??
  `matrix_tuwunel_environment_variables_extension: |
  TUWUNEL_ALLOW_LEGACY_MEDIA=true`
}
${parts.extra ?? ''}
`;
}

const opts = {
  serverName: 'rampancy.cloud',
  pin: 'v1.7.0',
  path: '/root/matrix-deploy/inventory/host_vars/x/vars.yml',
};

function lint(text: string, o: Partial<typeof opts> & { running?: string } = {}): Record<string, Finding> {
  return Object.fromEntries(configFindings(text, { ...opts, ...o }).map((f) => [f.id, f]));
}

describe('config lint of vars.yml', () => {
  it('is all ok for the runbook’s corrected vars.yml', () => {
    const f = lint(vars());
    expect(Object.keys(f)).toEqual([
      'config:vars-file',
      'config:allowlist-own-server',
      'config:allowlist-patterns',
      'config:legacy-media',
      'config:version-pin',
      'config:registration',
    ]);
    for (const finding of Object.values(f)) expect(finding.level, finding.detail).toBe('ok');
    expect(f['config:allowlist-own-server']!.group).toBe('config');
  });

  it('fails a YAML error with its line, and marks the other lints not checked', () => {
    const broken = vars({ extra: 'matrix_tuwunel_config_foo: [unclosed\nnext: 1' });
    const f = lint(broken);
    expect(f['config:vars-file']!.level).toBe('fail');
    const line = broken.split('\n').findIndex((l) => l.startsWith('next:')) + 1;
    expect(f['config:vars-file']!.detail).toMatch(
      new RegExp(`is not valid YAML \\(line ${line}\\): .+; fix it`),
    );
    expect(f['config:allowlist-own-server']).toMatchObject({ level: 'unknown' });
    expect(Object.keys(f)).toHaveLength(6);
    expect(lint('- a\n- b\n')['config:vars-file']!.level).toBe('fail');
  });

  describe('own server in the allowlist (tuwunel#489)', () => {
    const without = `matrix_tuwunel_config_allowed_remote_server_names:\n  - '^matrix\\.org$'`;

    it('fails below Tuwunel 1.8.0', () => {
      const f = lint(vars({ allowlist: without }))['config:allowlist-own-server']!;
      expect(f.level).toBe('fail');
      expect(f.detail).toBe(
        "The federation allowlist does not admit rampancy.cloud, and Tuwunel 1.7.0 then silently drops local users' events (tuwunel#489); add '^rampancy\\.cloud$' to matrix_tuwunel_config_allowed_remote_server_names and apply the config.",
      );
      const rc = lint(vars({ allowlist: without, version: 'matrix_tuwunel_version: v1.8.0-rc.1' }));
      expect(rc['config:allowlist-own-server']!.level).toBe('fail');
    });

    it('is a note from Tuwunel 1.8.0, which exempts its own server (the version vars.yml deploys decides)', () => {
      const f = lint(vars({ allowlist: without, version: 'matrix_tuwunel_version: v1.8.0' }));
      expect(f['config:allowlist-own-server']!.level).toBe('ok');
      expect(f['config:allowlist-own-server']!.detail).toBe(
        "Note: the federation allowlist does not admit rampancy.cloud, which is fine for Tuwunel 1.8.0: it exempts its own server since 1.8.0 (tuwunel#489). Add '^rampancy\\.cloud$' back before any downgrade below 1.8.0.",
      );
      const noVersion = lint(vars({ allowlist: without, version: '' }), { pin: 'v1.9.0' });
      expect(noVersion['config:allowlist-own-server']!.level).toBe('ok');
    });

    it('fails while the running release is below 1.8.0, whatever vars.yml pins', () => {
      const pinned = vars({ allowlist: without, version: 'matrix_tuwunel_version: v1.9.0' });
      const f = lint(pinned, { running: '1.7.0' })['config:allowlist-own-server']!;
      expect(f.level).toBe('fail');
      expect(f.detail).toMatch(/Tuwunel 1\.7\.0 \(running\) then silently drops/);
      expect(lint(pinned, { running: '1.9.0' })['config:allowlist-own-server']!.level).toBe('ok');
    });

    it('accepts the own name however it is written, templates included', () => {
      for (const entry of [
        'rampancy.cloud',
        "'^rampancy\\.cloud$'",
        "'.*\\.?rampancy\\.cloud$'",
        "'{{ matrix_domain }}'",
        "'^{{ matrix_domain | regex_escape }}$'",
      ]) {
        const f = lint(
          vars({ allowlist: `matrix_tuwunel_config_allowed_remote_server_names:\n  - ${entry}` }),
        );
        expect(f['config:allowlist-own-server']!.level, entry).toBe('ok');
      }
    });

    it('is unknown when only an unresolvable template could name it', () => {
      const f = lint(
        vars({ allowlist: `matrix_tuwunel_config_allowed_remote_server_names:\n  - '{{ other_var }}'` }),
      );
      expect(f['config:allowlist-own-server']!.level).toBe('unknown');
    });

    it('is ok without an allowlist (federation open), fails a list that is not a list', () => {
      expect(lint(vars({ allowlist: '' }))['config:allowlist-own-server']!.level).toBe('ok');
      expect(
        lint(vars({ allowlist: 'matrix_tuwunel_config_allowed_remote_server_names: []' }))[
          'config:allowlist-own-server'
        ]!.level,
      ).toBe('ok');
      const notList = lint(
        vars({ allowlist: 'matrix_tuwunel_config_allowed_remote_server_names: rampancy.cloud' }),
      );
      expect(notList['config:allowlist-own-server']!.level).toBe('fail');
    });
  });

  describe('allowlist patterns', () => {
    it('warns about each unanchored or unescaped entry with its safe form', () => {
      const f = lint(
        vars({
          allowlist: `matrix_tuwunel_config_allowed_remote_server_names:
  - rampancy.cloud
  - '^matrix.org$'
  - 'chat\\.dacool\\.zone'
  - '^ok\\.example$'`,
        }),
      )['config:allowlist-patterns']!;
      expect(f.level).toBe('warn');
      expect(f.detail).toBe(
        "Entries are regexes matched anywhere in a server name (example.com also admits badexample.com): 'rampancy.cloud' is not anchored (^…$) and has unescaped dots, use '^rampancy\\.cloud$'; '^matrix.org$' has unescaped dots, use '^matrix\\.org$'; 'chat\\.dacool\\.zone' is not anchored (^…$), use '^chat\\.dacool\\.zone$'.",
      );
    });

    it('judges single entries', () => {
      expect(allowlistEntryProblem('^example\\.org$')).toBeNull();
      expect(allowlistEntryProblem('.*\\.example\\.org$')).toBeNull();
      expect(allowlistEntryProblem('^[a-z]+\\.example\\.org$')).toBeNull();
      expect(allowlistEntryProblem('example.com')).toEqual({
        entry: 'example.com',
        problem: 'is not anchored (^…$) and has unescaped dots',
        safe: '^example\\.com$',
      });
      expect(allowlistEntryProblem('^(a|b)\\.org')).toMatchObject({ safe: '^(?:(a|b)\\.org)$' });
      expect(allowlistEntryProblem('^(unclosed$')).toMatchObject({ problem: 'is not a valid regex' });
      expect(safeAllowlistEntry('example.org')).toBe('^example\\.org$');
    });
  });

  it('warns when TUWUNEL_ALLOW_LEGACY_MEDIA=true is missing or false, explaining the Element Web fallback', () => {
    const missing = lint(vars({ env: '' }))['config:legacy-media']!;
    expect(missing.level).toBe('warn');
    expect(missing.detail).toMatch(
      /^TUWUNEL_ALLOW_LEGACY_MEDIA=true is missing from matrix_tuwunel_environment_variables_extension/,
    );
    expect(missing.detail).toMatch(
      /service worker fails .* falls back to \/_matrix\/media\/v3; add the line/,
    );
    const off = lint(
      vars({
        env: 'matrix_tuwunel_environment_variables_extension: |\n  TUWUNEL_ALLOW_LEGACY_MEDIA=false\n',
      }),
    )['config:legacy-media']!;
    expect(off).toMatchObject({ level: 'warn' });
    expect(off.detail).toMatch(/is "false" in/);
    const quoted = lint(
      vars({
        env: 'matrix_tuwunel_environment_variables_extension: |\n  # legacy media for Element Web\n  OTHER=1\n  TUWUNEL_ALLOW_LEGACY_MEDIA="true"\n',
      }),
    )['config:legacy-media']!;
    expect(quoted.level).toBe('ok');
  });

  it('checks matrix_tuwunel_version against the profile pin', () => {
    expect(lint(vars(), { pin: '1.7.0' })['config:version-pin']!.level).toBe('ok');
    const drift = lint(vars({ version: 'matrix_tuwunel_version: v1.9.0' }))['config:version-pin']!;
    expect(drift).toMatchObject({ level: 'warn' });
    expect(drift.detail).toBe(
      'vars.yml deploys matrix_tuwunel_version v1.9.0 but the profile pins v1.7.0; make them agree (homeserver.version in the profile, or vars.yml) before applying the config.',
    );
    expect(lint(vars({ version: '' }))['config:version-pin']!.level).toBe('warn');
    expect(
      lint(vars({ version: "matrix_tuwunel_version: '{{ tuwunel_tag }}'" }))['config:version-pin']!.level,
    ).toBe('unknown');
  });

  it('builds the path and the cat command', () => {
    expect(varsFilePath('/root/matrix-deploy/', 'inventory/host_vars/a/vars.yml')).toBe(
      '/root/matrix-deploy/inventory/host_vars/a/vars.yml',
    );
    expect(varsFilePath('/root/matrix-deploy', '/etc/vars.yml')).toBe('/etc/vars.yml');
    expect(varsCommand('/root/my vars.yml')).toBe("cat -- '/root/my vars.yml'");
  });

  describe('registration needs a token (the playbook’s validate_config.yml)', () => {
    const reg = (lines: string) => lint(vars({ extra: lines }))['config:registration']!;
    it('is ok off, or on with a token (a vault template counts)', () => {
      expect(reg('').level).toBe('ok');
      expect(reg('matrix_tuwunel_config_allow_registration: false').level).toBe('ok');
      expect(
        reg(
          'matrix_tuwunel_config_allow_registration: true\nmatrix_tuwunel_config_registration_token: "{{ vault_matrix_registration_token }}"',
        ),
      ).toMatchObject({ level: 'ok', detail: expect.stringMatching(/from the vault/) });
    });
    it('fails on without a token, warns open registration acknowledged', () => {
      expect(reg('matrix_tuwunel_config_allow_registration: true').level).toBe('fail');
      expect(
        reg("matrix_tuwunel_config_allow_registration: true\nmatrix_tuwunel_config_registration_token: ''"),
      ).toMatchObject({ level: 'fail', detail: expect.stringMatching(/the playbook stops/) });
      expect(
        reg(
          'matrix_tuwunel_config_allow_registration: true\nmatrix_tuwunel_config_yes_i_am_very_very_sure_i_want_an_open_registration_server_prone_to_abuse: true',
        ).level,
      ).toBe('warn');
    });
  });

  it('names an alias bomb as a vars.yml problem', () => {
    const bomb = vars({
      extra:
        'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    });
    const f = lint(bomb);
    expect(f['config:vars-file']).toMatchObject({
      level: 'fail',
      detail: expect.stringMatching(/vars\.yml expands YAML aliases more than 100 times \(an "alias bomb"/),
    });
    expect(f['config:registration']!.level).toBe('unknown');
  });
});
