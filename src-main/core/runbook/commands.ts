import { posix } from 'node:path';
import { SHUTDOWN_COMMAND } from '../matrix/tuwunel-admin';
import type { Profile } from '../profile/schema';
import { shellCommand, shellQuote } from '../ssh/quote';

/**
 * The remote command lines of the runbook, built from the profile and validated parameters. Every
 * value goes through shellQuote; the fixed words are the runbook's own.
 */

export const TUWUNEL_UNIT = 'matrix-tuwunel';

export function systemctl(verb: 'start' | 'stop' | 'restart' | 'is-active', ...units: string[]): string {
  return shellCommand('systemctl', verb, ...units);
}

/** The runbook's maintenance stop: every matrix-* unit systemd has loaded. */
export function stopAllCommand(): string {
  return shellCommand('systemctl', 'stop', 'matrix-*');
}

export function tuwunelImage(profile: Profile): string {
  const { image, version } = profile.homeserver;
  return `${image}:${version.startsWith('v') ? version : `v${version}`}`;
}

/**
 * CLI mode as upstream documents it (docs/maintenance.md, src/main/args.rs since 1.7.0): a one-off Tuwunel
 * container on the stopped server's data that does not listen (`--maintenance`), runs the command, then
 * `server shutdown` and exits by itself. A bare `--execute` keeps serving after the command (the runbook's
 * "hang"); `timeout` stays as the guard should the container not end.
 */
export function tuwunelExecuteCommand(
  profile: Profile,
  adminCommand: string,
  timeoutSeconds: number,
): string {
  const { dataDir, configDir } = profile.homeserver;
  return shellCommand(
    'timeout',
    String(timeoutSeconds),
    'docker',
    'run',
    '--rm',
    '-v',
    `${dataDir}:/var/lib/tuwunel`,
    '-v',
    `${configDir}:/etc/tuwunel:ro`,
    '-e',
    'TUWUNEL_CONFIG=/etc/tuwunel/tuwunel.toml',
    tuwunelImage(profile),
    '--maintenance',
    '--execute',
    adminCommand,
    '--execute',
    SHUTDOWN_COMMAND,
  );
}

/** `cd <playbook dir> && <words>`: the runbook runs everything on the deploy host from the checkout. */
export function inDeployDir(profile: Profile, ...words: string[]): string {
  return `cd ${shellQuote(profile.deploy.dir)} && ${shellCommand(...words)}`;
}

export function playbookWords(profile: Profile, tags: string): string[] {
  const { inventory, vaultPasswordFile } = profile.deploy;
  return [
    'ansible-playbook',
    '-i',
    inventory,
    'setup.yml',
    `--tags=${tags}`,
    '--vault-password-file',
    vaultPasswordFile,
  ];
}

export function stackRestartCommand(profile: Profile): string {
  return inDeployDir(profile, ...playbookWords(profile, 'start'));
}

/** `20261126T143552Z`: sortable, and no characters a file name or shell would mind. */
export function logStamp(at: Date): string {
  return at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export function configApplyLogFile(profile: Profile, at: Date): string {
  return posix.join(profile.deploy.logDir, `config-apply-${logStamp(at)}.log`);
}

/** Exit code of configApplyCommand when vars.yml is not the file that was checked (ansible-playbook's own are 0–5, 99, 250). */
export const VARS_CHANGED_EXIT = 75;

/**
 * install-all,start with the output also written to a log on the deploy host, and `set -o pipefail`
 * so a failing playbook is not hidden by `tee` succeeding (the runbook's warning). The SSH pool runs
 * commands under /bin/sh, which may lack pipefail (dash), hence bash. With `varsSha256`, it runs only
 * while vars.yml is still the file the pre-flight linted.
 */
export function configApplyCommand(profile: Profile, at: Date, varsSha256: string | null = null): string {
  const logDir = profile.deploy.logDir;
  const guard =
    varsSha256 === null
      ? []
      : [
          `h=$(sha256sum < ${shellQuote(varsFilePath(profile))}) || exit 1;`,
          `if [ "\${h%% *}" != ${shellQuote(varsSha256)} ]; then echo ${shellQuote(`${varsFilePath(profile)} changed since it was checked; the playbook did not run.`)} >&2; exit ${VARS_CHANGED_EXIT}; fi;`,
        ];
  const script = [
    'set -o pipefail;',
    ...guard,
    `cd ${shellQuote(profile.deploy.dir)}`,
    `&& mkdir -p ${shellQuote(logDir)}`,
    `&& ${shellCommand(...playbookWords(profile, 'install-all,start'))} 2>&1`,
    `| tee ${shellQuote(configApplyLogFile(profile, at))}`,
  ].join(' ');
  // --norc: the login shell already read ~/.bashrc (PATH and all); reading it again only costs time.
  return shellCommand('bash', '--noprofile', '--norc', '-c', script);
}

export function varsFilePath(profile: Profile): string {
  const { dir, varsFile } = profile.deploy;
  return posix.isAbsolute(varsFile) ? varsFile : posix.join(dir, varsFile);
}

/** Prints the file's SHA-256 (`<hex>  -`) on the first line, then the file. */
export function readWithHashCommand(path: string): string {
  return `f=${shellQuote(path)}; sha256sum < "$f" && cat < "$f"`;
}

/** Exit code of writeIfUnchangedCommand when the file is no longer the one that was read. */
export const FILE_CHANGED_EXIT = 3;

/**
 * Writes stdin to `path` only if the file still has `expectedSha256`: through a hidden temporary
 * file beside it (Ansible skips dot files in host_vars), keeping mode and owner, then an atomic mv.
 */
export function writeIfUnchangedCommand(path: string, expectedSha256: string): string {
  return [
    `f=${shellQuote(path)}`,
    `t="$(dirname "$f")/.$(basename "$f").homeserver-tray.$$"`,
    'cat > "$t" || { rm -f "$t"; exit 1; }',
    'h=$(sha256sum < "$f") || { rm -f "$t"; exit 1; }',
    `if [ "\${h%% *}" != ${shellQuote(expectedSha256)} ]; then rm -f "$t"; echo "$f changed since it was read; not written." >&2; exit ${FILE_CHANGED_EXIT}; fi`,
    'chmod --reference="$f" "$t" && { chown --reference="$f" "$t" 2>/dev/null || true; } && mv -f "$t" "$f"',
  ].join('; ');
}

export function journalFollowCommand(unit: string): string {
  return shellCommand('journalctl', '-fu', unit);
}
