import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELP, runCli } from '../../../src-main/cli/run-cli';
import { APP_VERSION } from '../../../src-main/cli/version';
import { memoryIo } from './cli-io';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-unit-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ HOMESERVER_TRAY_DATA_DIR: join(dir, 'data') });

describe('runCli without a core', () => {
  it('prints help with every command and the exit codes', async () => {
    const { io, out } = memoryIo();
    expect(await runCli(['--help'], io, { env: env() })).toBe(0);
    expect(out.stdout).toBe(HELP);
    for (const words of [
      'status [--json] [--watch]',
      'hostkey trust <host> [--once] [--yes]',
      'hostkey forget <host>',
      'actions [--json]',
      'run <id> [--param name=value]… [--yes] [--dry-run] [--json]',
      'token copy',
      'token rotate [--no-apply] [--yes]',
      'invite [--uses N] [--expires 7d]',
      'secret set <kind> [--host h]',
      '--profile FILE',
    ])
      expect(HELP).toContain(words);
    for (const code of ['0 ', '1 ', '2 ', '3 ', '64', '69', '78'])
      expect(HELP).toMatch(new RegExp(`\\n  ${code}`));
  });

  it('prints the version', async () => {
    const { io, out } = memoryIo();
    expect(await runCli(['--version'], io, { env: env() })).toBe(0);
    expect(out.stdout).toBe(`${APP_VERSION}\n`);
  });

  it('refuses an unknown command with 64 before looking for a profile', async () => {
    const { io, out } = memoryIo();
    expect(await runCli(['stats'], io, { env: env() })).toBe(64);
    expect(out.stderr).toBe('Unknown command "stats". Run with --help to see what is available.\n');
    const b = memoryIo();
    expect(await runCli(['hostkey', 'trsut', 'deploy'], b.io, { env: env() })).toBe(64);
    const c = memoryIo();
    expect(await runCli(['--profile', 'p.yaml'], c.io, { env: env() })).toBe(64);
    expect(c.out.stderr).toContain('Give a command after --profile FILE.');
  });

  it('without a selected profile says how to get one (78)', async () => {
    const { io, out } = memoryIo();
    expect(await runCli(['status'], io, { env: env() })).toBe(78);
    expect(out.stderr).toBe(
      `No homeserver profile is selected in ${join(dir, 'data')}.\nCreate one in the app (first-run setup), or pass a profile file with --profile FILE (\`npm run lab\` prints one for the lab).\n`,
    );
  });

  it('every command that needs a profile exits 78 without one, as --help promises', async () => {
    expect(HELP).toContain('78  no profile is selected, or the profile file is not valid');
    for (const argv of [
      ['status'],
      ['actions'],
      ['run', 'stack.start'],
      ['hostkey', 'forget', 'deploy'],
      ['token', 'copy'],
      ['token', 'rotate', '--yes'],
      ['token', 'rollback'],
      ['invite', 'list'],
      ['secret', 'delete', 'vault-password'],
    ]) {
      const { io, out } = memoryIo();
      expect(await runCli(argv, io, { env: env() }), argv.join(' ')).toBe(78);
      expect(out.stderr, argv.join(' ')).toMatch(/^No homeserver profile is selected in /);
      expect(out.stdout).toBe('');
    }
  });

  it('names the fields of an invalid --profile file (78), and a missing one', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'name: x\nserverName: "bad name"\n');
    const { io, out } = memoryIo();
    expect(await runCli(['actions', '--profile', file], io, { env: env() })).toBe(78);
    expect(out.stderr).toMatch(/^The profile .*bad\.yaml is not valid: serverName: server name/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
    const missing = memoryIo();
    expect(await runCli(['actions', '--profile', join(dir, 'nope.yaml')], missing.io, { env: env() })).toBe(
      64,
    );
    expect(missing.out.stderr).toBe(
      `--profile: ${join(dir, 'nope.yaml')} cannot be read (ENOENT)\nCorrect --profile and try again.\n`,
    );
  });
});
