import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { fileUid } from '../../../src-main/core/profile/load';
import { shellCommand } from '../../../src-main/core/ssh/quote';
import { type Keyring, startKeyring } from '../../lab/keyring';
import { testProfile } from '../../unit/core/runbook/test-profile';
import { cliCommand } from './cli-process';

/**
 * `secret set` at a real terminal: util-linux `script` gives the CLI a pseudo-terminal, the answer is
 * typed only once the prompt is there (as a person would), and everything the terminal showed is
 * checked for the secret. The value lands in gnome-keyring, read back with libsecret's secret-tool.
 */
const execFileAsync = promisify(execFile);

let dir: string;
let keyring: Keyring;
let profilePath: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secret-tty-'));
  keyring = await startKeyring(join(dir, 'keyring'));
  profilePath = join(dir, 'profile.yaml');
  await writeFile(profilePath, stringify(testProfile({ name: 'tty-profile' })));
  env = {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: keyring.env.DBUS_SESSION_BUS_ADDRESS,
    HOMESERVER_TRAY_DATA_DIR: join(dir, 'data'),
  };
});

afterAll(async () => {
  await keyring?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `command` on a pseudo-terminal; types `answer` once `prompt` appeared. Returns all it showed. */
function onTerminal(
  command: string,
  prompt: string,
  answer: string,
): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let typed = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      screen += c;
      if (!typed && screen.includes(prompt)) {
        typed = true;
        child.stdin.write(answer);
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no answer from ${command}; the terminal showed: ${screen}`));
    }, 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

async function lookup(account: string): Promise<string> {
  const { stdout } = await execFileAsync(
    'secret-tool',
    ['lookup', 'service', 'homeserver-tray', 'account', account],
    {
      env,
    },
  );
  return stdout;
}

describe('secret set at a terminal', () => {
  it('a plain line reader echoes what is typed (the check below can see an echo)', async () => {
    const { screen } = await onTerminal('printf "Say: "; head -1', 'Say: ', 'visible-words\r');
    expect(screen).toContain('visible-words');
  });

  it('reads the secret without echo and stores it in the keychain', async () => {
    const secret = 'tty-sudo-Pässword-42';
    const command = shellCommand(
      ...cliCommand('--profile', profilePath, 'secret', 'set', 'sudo-password', '--host', 'homeserver'),
    );
    const { code, screen } = await onTerminal(command, '(not shown): ', `${secret}\r`);
    expect(code).toBe(0);
    expect(screen).toContain('Sudo password for the homeserver host (not shown): ');
    expect(screen).toContain(
      'Stored the sudo password for the homeserver host of tty-profile in the keychain.',
    );
    expect(screen).not.toContain(secret);
    expect(screen).not.toContain('Pässw');
    // Under the profile file's uid and the homeserver host's identity (testProfile: admin@127.0.0.1:22).
    expect(await lookup(`${await fileUid(profilePath)}/sudo-password/admin@127.0.0.1:22`)).toBe(secret);
  });
});
