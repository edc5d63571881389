import { RemoteFailed, SudoFailed } from '../core/errors';
import type { HostRole } from '../core/profile/schema';
import type { Core } from './session';
import type { HostTest } from './views/profile-schema';
import { sshTarget } from './views/status-view';

const TIMEOUT_MS = 20_000;

/** What each host must have for the runbook to work there. */
const TOOLS: Record<HostRole, string[]> = {
  homeserver: ['systemctl', 'docker', 'journalctl'],
  deploy: ['ansible-playbook', 'git'],
};

type Sudo = HostTest['sudo'];

const SUDO_SENTENCE: Record<Sudo, string> = {
  'not-needed': 'the profile does not use sudo',
  passwordless: 'sudo works without a password',
  'password-stored': 'sudo works with the stored password',
  'password-missing': 'sudo asks for a password: store it under "Passwords and passphrases"',
};

async function sudoState(core: Core, host: HostRole): Promise<Sudo> {
  if (!core.profile.hosts[host].sudo) return 'not-needed';
  const stored = await core.secrets.has({ profile: core.profile.name, kind: 'sudo-password', host });
  try {
    const r = await core.pool.exec(host, 'true', { sudo: true, timeoutMs: TIMEOUT_MS, label: 'Trying sudo' });
    if (r.exitCode !== 0) throw new RemoteFailed('Trying sudo', r.exitCode, r.stderr);
    return stored ? 'password-stored' : 'passwordless';
  } catch (e) {
    if (e instanceof SudoFailed && !stored) return 'password-missing';
    throw e;
  }
}

/**
 * Onboarding's "Test": connects (an unknown host key comes back as HostKeyUnknown for the trust
 * dialog), logs in, sees who it is, whether sudo works and whether the runbook's tools are there.
 */
export async function testHost(core: Core, host: HostRole): Promise<HostTest> {
  const started = performance.now();
  await core.pool.connect(host);
  const tools = TOOLS[host];
  const probe = [
    'id -un',
    ...tools.map((t) => `command -v ${t} >/dev/null 2>&1 && echo ${t} || echo "!${t}"`),
  ].join('; ');
  const r = await core.pool.exec(host, probe, { timeoutMs: TIMEOUT_MS, label: 'Testing the connection' });
  if (r.exitCode !== 0) throw new RemoteFailed('Testing the connection', r.exitCode, r.stderr);
  const [user = core.profile.hosts[host].user, ...found] = r.stdout.trim().split('\n');
  const missing = found.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
  const sudo = await sudoState(core, host);
  const toolSentence =
    missing.length === 0
      ? `${tools.join(', ')} answer`
      : `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`;
  return {
    host,
    target: sshTarget(core.profile, host),
    sentence: `Logged in as ${user}; ${SUDO_SENTENCE[sudo]}; ${toolSentence}.`,
    sudo,
    durationMs: Math.round(performance.now() - started),
  };
}
