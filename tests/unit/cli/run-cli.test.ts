import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../../src-main/cli/exit-codes';
import { help, runCli } from '../../../src-main/cli/run-cli';
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
  it('prints help with every command and every exit code the CLI can return', async () => {
    const { io, out } = memoryIo();
    expect(await runCli(['--help'], io, { env: env() })).toBe(0);
    const text = help('homeserver-tray');
    expect(out.stdout).toBe(text);
    for (const words of [
      'profile add FILE [--yes]',
      'profile list',
      'profile show [NAME]',
      'profile use NAME',
      'profile remove NAME [--yes]',
      'admin login [--user U]',
      'admin logout',
      'status [--json] [--watch]',
      'hostkey trust <host> [--once] [--yes]',
      'hostkey forget <host>',
      'actions [--json]',
      'run <id> [--param name=value]… [--yes] [--dry-run] [--json]',
      'token copy',
      'token rotate [--no-apply] [--yes]',
      'invite [--uses N] [--expires 7d]',
      'invite revoke ID|HINT',
      'secret set <kind> [--host h]',
      '--profile FILE',
    ])
      expect(text).toContain(words);
    for (const code of new Set(Object.values(EXIT)))
      expect(text, `exit code ${code}`).toMatch(new RegExp(`\\n  ${code} +\\S`));
  });

  it('names the command the way it was run, in the help and in hints', async () => {
    const npm = memoryIo();
    await runCli(['--help'], npm.io, { env: { ...env(), npm_lifecycle_event: 'cli' } });
    expect(npm.out.stdout.startsWith('npm run cli -- — the Homeserver Tray core')).toBe(true);
    const hint = memoryIo();
    expect(await runCli(['status'], hint.io, { env: { ...env(), npm_lifecycle_event: 'cli' } })).toBe(78);
    expect(hint.out.stderr).toContain('Add one with `npm run cli -- profile add FILE`');
    const installed = memoryIo();
    await runCli(['status'], installed.io, { env: env() });
    expect(installed.out.stderr).toContain('Add one with `homeserver-tray profile add FILE`');
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
    expect(b.out.stderr).toBe(
      'Unknown command "hostkey trsut" (hostkey: trust, forget). Run with --help to see what is available.\n',
    );
    const c = memoryIo();
    expect(await runCli(['--profile', 'p.yaml'], c.io, { env: env() })).toBe(64);
    expect(c.out.stderr).toContain('Give a command after --profile FILE.');
  });

  it('without a selected profile says how to get one (78)', async () => {
    const { io, out } = memoryIo();
    expect(await runCli(['status'], io, { env: env() })).toBe(78);
    expect(out.stderr).toBe(
      `No homeserver profile is selected in ${join(dir, 'data')}.\nAdd one with \`homeserver-tray profile add FILE\` (\`npm run lab\` writes one for the lab), or name a profile file with --profile FILE.\n`,
    );
  });

  it('every command that needs a profile exits 78 without one, as --help promises', async () => {
    expect(help('x')).toContain('78  no profile is in use, or the profile file is not valid');
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
      ['admin', 'login'],
      ['admin', 'logout'],
      ['profile', 'show'],
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

  it('resolves a relative --profile against the directory the user ran it in (INIT_CWD under npm run)', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'name: x\nserverName: "bad name"\n');
    const { io, out } = memoryIo();
    expect(await runCli(['actions', '--profile', 'bad.yaml'], io, { env: { ...env(), INIT_CWD: dir } })).toBe(
      78,
    );
    expect(out.stderr).toContain(`The profile ${join(dir, 'bad.yaml')} is not valid`);
  });

  it('escapes terminal controls in everything it prints, its own echo of the command line too', async () => {
    const { io, out } = memoryIo();
    expect(await runCli(['st\u001b]52;c;aGk=\u0007at\u202eus'], io, { env: env() })).toBe(64);
    expect(out.stderr).toBe(
      'Unknown command "st\\x1b]52;c;aGk=\\x07at\\u202eus". Run with --help to see what is available.\n',
    );
  });
});
