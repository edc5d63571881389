import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteFailed } from '../../../../src-main/core/errors';
import type { ExecOptions, ExecResult, RemoteExec } from '../../../../src-main/core/ssh/types';
import {
  parseVersionsOutput,
  readPlaybookVersions,
  readVersionEntry,
  roleDefaultsPath,
  type VersionFiles,
  versionsCommand,
} from '../../../../src-main/core/upgrade/playbook-versions';

/** The command as the deploy host runs it: the real awk (mawk or gawk) under a real /bin/sh. */
function sh(command: string): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], (error, stdout, stderr) =>
      resolve({
        exitCode: error ? ((error as { code?: number }).code ?? 1) : 0,
        signal: null,
        stdout,
        stderr,
        durationMs: 0,
      }),
    );
  });
}

const local: RemoteExec & { calls: { command: string; options?: ExecOptions }[] } = {
  calls: [],
  exec(_host, command, options) {
    local.calls.push({ command, ...(options ? { options } : {}) });
    return sh(command);
  },
};

let dir: string;
let files: VersionFiles;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'playbook-versions-'));
  files = { roleDefaults: join(dir, 'defaults.yml'), vars: join(dir, "it's vars.yml") };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(defaults: string, vars: string) {
  await writeFile(files.roleDefaults, defaults);
  await writeFile(files.vars, vars);
  return readPlaybookVersions(local, files, { host: 'deploy', sudo: false, timeoutMs: 5000 });
}

describe('reading matrix_tuwunel_version from the deploy checkout', () => {
  it('the role default beside the pin, with one command on the deploy host', async () => {
    const v = await read(
      '# renovate: datasource=docker depName=ghcr.io/matrix-construct/tuwunel\nmatrix_tuwunel_version: v1.9.0\n\nmatrix_tuwunel_container_image_tag: "{{ matrix_tuwunel_version }}"\n',
      '---\nmatrix_domain: lab.test\n# Pinned on purpose\nmatrix_tuwunel_version: v1.7.0\n',
    );
    expect(v.roleDefault).toMatchObject({ state: 'version', text: 'v1.9.0', version: { core: '1.9.0' } });
    expect(v.pin).toMatchObject({ state: 'version', version: { core: '1.7.0' } });
    expect(local.calls.at(-1)?.options).toMatchObject({ sudo: false, timeoutMs: 5000 });
  });

  it('reads the value as YAML: quotes, comments, a folded value, CRLF, the last of repeated keys', async () => {
    const v = await read(
      'matrix_tuwunel_version: >-\r\n  v1.8.3\r\nother: 1\r\n',
      'matrix_tuwunel_version: \'v1.7.0\'\nmatrix_tuwunel_version: "v1.8.2"  # raised for the upgrade\n',
    );
    expect(v.roleDefault).toMatchObject({ state: 'version', version: { core: '1.8.3' } });
    expect(v.pin).toMatchObject({ state: 'version', text: 'v1.8.2' });
  });

  it('only the top-level key counts: not a comment, not a nested key, not a longer name', async () => {
    const v = await read(
      'matrix_tuwunel_version: v1.9.0\n',
      '# matrix_tuwunel_version: v1.9.0\nnested:\n  matrix_tuwunel_version: v1.9.0\nmatrix_tuwunel_version_extra: v1.9.0\n',
    );
    expect(v.pin).toEqual({ state: 'absent' });
  });

  it('a template, a number, an empty value and a non-version are named, not guessed', () => {
    expect(readVersionEntry('matrix_tuwunel_version: "{{ tuwunel_release }}"\n')).toEqual({
      state: 'template',
      text: '{{ tuwunel_release }}',
    });
    expect(readVersionEntry('matrix_tuwunel_version: 1.9\n')).toEqual({
      state: 'invalid',
      problem: 'matrix_tuwunel_version is a number, not a version string like v1.9.0',
    });
    expect(readVersionEntry('matrix_tuwunel_version:\n')).toMatchObject({
      state: 'invalid',
      problem: expect.stringContaining('is empty'),
    });
    expect(readVersionEntry('matrix_tuwunel_version: latest\n')).toEqual({
      state: 'invalid',
      problem: 'matrix_tuwunel_version "latest" is not a version',
    });
    expect(readVersionEntry('matrix_tuwunel_version: [unclosed\n')).toMatchObject({ state: 'invalid' });
  });

  it('an empty file has no entry; output for other paths is ignored', () => {
    const out = `@@ ${files.roleDefaults}\nmatrix_tuwunel_version: v1.9.0\n@@ /elsewhere.yml\nmatrix_tuwunel_version: v1.0.0\n`;
    expect(parseVersionsOutput(out, files)).toMatchObject({
      roleDefault: { state: 'version' },
      pin: { state: 'absent' },
    });
  });

  it('a file that cannot be read is a RemoteFailed naming awk’s error', async () => {
    await rm(files.vars);
    const error = await readPlaybookVersions(local, files, {
      host: 'deploy',
      sudo: true,
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteFailed);
    expect((error as RemoteFailed).message).toMatch(
      /^Reading matrix_tuwunel_version on the deploy host failed with exit code 2: .*cannot open/,
    );
  });

  it('quotes every path as one word (a quote in the name included)', () => {
    expect(versionsCommand(files)).toContain(`'${dir}/it'\\''s vars.yml'`);
    expect(roleDefaultsPath('/root/matrix-deploy/')).toBe(
      '/root/matrix-deploy/roles/custom/matrix-tuwunel/defaults/main.yml',
    );
  });
});
