import { draftFromFile } from '../app/profile-import';
import { type SecretSlotRef, secretRef, secretSlots } from '../app/secret-slots';
import { describeError, InvalidInput, ProfileInvalid } from '../core/errors';
import type { Profile } from '../core/profile/schema';
import { type ProfileStore, type ProfileSummary, type ProfileWithUid, sameName } from '../core/profile/store';
import { profileSecretStore } from '../core/secrets/profile-secrets';
import type { SecretStore } from '../core/secrets/types';
import type { SecretKind } from '../core/vocab';
import { parseArgs, UsageError } from './args';
import { EXIT } from './exit-codes';
import { type CliIo, cliName, confirm, printError } from './io';
import { userPath } from './open-core';
import { secretName } from './secret-commands';

/**
 * `profile list | show [NAME] | use NAME | add FILE | remove NAME`: the profiles of the data folder, the same
 * store the window edits (core/profile/store.ts). Names are unique there; a profile added from a file gets an
 * id of its own and brings no secrets, whatever its file says.
 */

export interface ProfileCliDeps {
  store: ProfileStore;
  /** The user's working directory: `profile add FILE` resolves a relative FILE against it. */
  cwd: string;
  /** The profile this invocation uses (`--profile FILE` or the selected one): `profile show` without NAME. */
  current: () => Promise<{ profile: ProfileWithUid; file: string }>;
  /** The OS keychain; only asked whether a secret is stored, and to delete a removed profile's. */
  keychain: () => SecretStore;
}

async function named(store: ProfileStore, name: string, cli: string): Promise<ProfileSummary> {
  const { profiles } = await store.list();
  const found = profiles.find((p) => sameName(p.name, name)) ?? profiles.find((p) => p.id === name);
  if (!found)
    throw new InvalidInput(
      'profile',
      `"${name}" is not the name of a saved profile (\`${cli} profile list\` shows them)`,
    );
  return found;
}

async function list(deps: ProfileCliDeps, io: CliIo): Promise<number> {
  const { profiles, selectedId } = await deps.store.list();
  const cli = cliName(io);
  if (profiles.length === 0) {
    io.stdout(`No profiles in ${deps.store.dir} yet. Add one with: ${cli} profile add FILE\n`);
    return EXIT.ok;
  }
  const width = (pick: (p: ProfileSummary) => string, title: string) =>
    Math.max(title.length, ...profiles.map((p) => pick(p).length));
  const [nameWidth, serverWidth] = [width((p) => p.name, 'NAME'), width((p) => p.serverName, 'SERVER')];
  const row = (mark: string, name: string, server: string, file: string) =>
    `${mark} ${name.padEnd(nameWidth)}  ${server.padEnd(serverWidth)}  ${file}\n`;
  io.stdout(row(' ', 'NAME', 'SERVER', 'FILE'));
  for (const p of profiles) io.stdout(row(p.id === selectedId ? '*' : ' ', p.name, p.serverName, p.file));
  io.stdout(`\n* in use when no --profile is given; another: ${cli} profile use NAME\n`);
  return EXIT.ok;
}

function hostLine(profile: Profile, role: 'homeserver' | 'deploy'): string {
  const h = profile.hosts[role];
  return `${h.user}@${h.address}:${h.port}${h.sudo ? ' (sudo)' : ''}${h.jump ? ` via the ${h.jump} host` : ''}`;
}

/** The secrets a host needs only in some setups, and which. */
const ONLY_WHEN: Partial<Record<SecretKind, string>> = {
  'ssh-password': 'only for a password login',
  'ssh-key-passphrase': 'only for a key with a passphrase',
  'sudo-password': 'not for passwordless sudo',
};

/** Which of the profile's secrets are stored, and for each missing one the command that stores it. */
async function secretLines(profile: ProfileWithUid, keychain: SecretStore, cli: string): Promise<string[]> {
  const secrets = profileSecretStore(keychain, { profile, uid: profile.uid });
  const slots = secretSlots(profile);
  const width = Math.max(...slots.map((s) => secretName(slotRef(s)).length));
  const lines: string[] = [];
  for (const slot of slots) {
    const stored = await secrets.has(secretRef(profile, slot));
    const how =
      slot.kind === 'matrix-admin-token'
        ? `${cli} admin login`
        : `${cli} secret set ${slot.kind}${slot.host ? ` --host ${slot.host}` : ''}`;
    const when = ONLY_WHEN[slot.kind];
    lines.push(
      `  ${secretName(slotRef(slot)).padEnd(width)}  ${stored ? 'stored' : `not stored${when ? ` (${when})` : ''}: ${how}`}`,
    );
  }
  return lines;
}

function slotRef(slot: SecretSlotRef) {
  return { kind: slot.kind, ...(slot.host ? { host: slot.host } : {}) };
}

async function show(deps: ProfileCliDeps, name: string | undefined, io: CliIo): Promise<number> {
  const cli = cliName(io);
  const { selectedId } = await deps.store.list();
  let shown: { profile: ProfileWithUid; file: string; selected: boolean };
  if (name === undefined) {
    const current = await deps.current();
    const id = await deps.store.idOfFile(current.file);
    shown = { ...current, selected: id !== null && id === selectedId };
  } else {
    const summary = await named(deps.store, name, cli);
    shown = {
      profile: await deps.store.load(summary.id),
      file: summary.file,
      selected: summary.id === selectedId,
    };
  }
  const { profile } = shown;
  const lines = [
    `${profile.name}${shown.selected ? ' (in use)' : ''}`,
    `  file        ${shown.file}`,
    `  server      ${profile.serverName}, ${profile.publicUrl}`,
    `  homeserver  ${hostLine(profile, 'homeserver')}`,
    `  deploy      ${hostLine(profile, 'deploy')}`,
    'Secrets (in the keychain, never shown):',
  ];
  try {
    lines.push(...(await secretLines(profile, deps.keychain(), cli)));
  } catch (e) {
    lines.push(`  cannot tell: ${describeError(e).message}`);
  }
  io.stdout(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

async function use(deps: ProfileCliDeps, name: string, io: CliIo): Promise<number> {
  const found = await named(deps.store, name, cliName(io));
  // Refused before it is selected: a broken profile would break every command after it.
  await deps.store.load(found.id);
  await deps.store.select(found.id);
  io.stdout(
    `Now using ${found.name} (${found.file}): commands without --profile use it, and so does the app from its next start.\n`,
  );
  return EXIT.ok;
}

/** The shell code a profile's backup check runs on a host at every poll, if it has one. */
function backupCommand(draft: Record<string, unknown>): string | null {
  const checks = draft.checks as { backup?: { command?: unknown } } | undefined;
  const command = checks?.backup?.command;
  return typeof command === 'string' ? command : null;
}

async function add(deps: ProfileCliDeps, file: string, yes: boolean, io: CliIo): Promise<number> {
  const cli = cliName(io);
  const path = userPath(file, deps.cwd);
  const { draft, issues } = await draftFromFile(path, (d) => deps.store.validate(d)).catch(
    (e: NodeJS.ErrnoException) => {
      if (typeof e.code === 'string' && e.syscall)
        throw new InvalidInput('profile add', `${path} cannot be read (${e.code})`);
      throw e;
    },
  );
  if (issues.length > 0) throw new ProfileInvalid(path, issues);
  // Shell code that every status poll would run on a host (as root with sudo): shown before it is saved.
  const backup = backupCommand(draft);
  if (backup !== null && !yes) {
    io.stderr(`The profile's backup check runs this on a host at every status poll:\n  ${backup}\n`);
    if (!io.stdin.isTTY) {
      io.stderr('Not added: after reading it, run the command again with --yes to add the profile.\n');
      return EXIT.failed;
    }
    if (!(await confirm(io, 'Add the profile with this command?'))) {
      io.stderr('Not added; nothing was changed.\n');
      return io.stop?.aborted ? EXIT.interrupted : EXIT.failed;
    }
  }
  const { id } = await deps.store.save(null, draft);
  const { profiles, selectedId } = await deps.store.list();
  const saved = profiles.find((p) => p.id === id);
  const name = saved?.name ?? id;
  const inUse =
    selectedId === id
      ? 'It is in use: it is the first profile.'
      : `It is not in use yet: ${cli} profile use ${quoteIfNeeded(name)}`;
  io.stdout(
    `Added ${name} as ${saved?.file ?? id}. ${inUse}\nIt brings no secrets, whatever the file held: \`${cli} profile show ${quoteIfNeeded(name)}\` lists the ones it needs and how to store each.\n`,
  );
  return EXIT.ok;
}

/** A profile name as a shell word in a hint. */
function quoteIfNeeded(name: string): string {
  return /^[A-Za-z0-9._@:+-]+$/.test(name) ? name : `'${name.replace(/'/g, `'\\''`)}'`;
}

async function remove(deps: ProfileCliDeps, name: string, yes: boolean, io: CliIo): Promise<number> {
  const found = await named(deps.store, name, cliName(io));
  if (!yes) {
    const question = `Remove the profile ${found.name} (${found.file}) and delete its secrets from the keychain?`;
    if (!io.stdin.isTTY) {
      io.stderr(`${question}\nNot removed: run it again with --yes to remove it.\n`);
      return EXIT.failed;
    }
    if (!(await confirm(io, question))) {
      io.stderr('Not removed; nothing was changed.\n');
      return io.stop?.aborted ? EXIT.interrupted : EXIT.failed;
    }
  }
  // Its secrets first: once the file (and its uid) is gone, nothing could reach them any more.
  let note: string;
  try {
    const profile = await deps.store.load(found.id);
    const secrets = profileSecretStore(deps.keychain(), { profile, uid: profile.uid });
    let deleted = 0;
    for (const slot of secretSlots(profile)) if (await secrets.delete(secretRef(profile, slot))) deleted++;
    note =
      deleted === 0
        ? 'It had no secrets in the keychain.'
        : `${deleted === 1 ? 'One secret' : `${deleted} secrets`} of it ${deleted === 1 ? 'was' : 'were'} deleted from the keychain.`;
  } catch (e) {
    note = `Its secrets were left in the keychain: ${describeError(e).message}`;
  }
  const { selectedId } = await deps.store.delete(found.id);
  const { profiles } = await deps.store.list();
  const now = profiles.find((p) => p.id === selectedId);
  io.stdout(
    `Removed the profile ${found.name}. ${note}${now ? ` In use now: ${now.name}.` : ' No profile is left.'}\n`,
  );
  return EXIT.ok;
}

export async function profileCommand(args: string[], deps: ProfileCliDeps, io: CliIo): Promise<number> {
  try {
    const { positional, flags } = parseArgs(args, { flags: ['yes'] });
    const [sub, target, ...extra] = positional;
    const cli = cliName(io);
    const one = (what: string) => {
      if (target === undefined) throw new UsageError(`profile ${sub}`, `needs ${what}`);
      if (extra.length > 0)
        throw new UsageError(`profile ${sub}`, `takes one ${what} ("${extra[0]}" is one too many)`);
      return target;
    };
    const yesOnly = (allowed: boolean) => {
      if (flags.has('yes') && !allowed) throw new UsageError('--yes', `is not an option of profile ${sub}`);
    };
    switch (sub) {
      case 'list':
        yesOnly(false);
        if (target !== undefined)
          throw new UsageError('profile list', `takes no arguments ("${target}" is one too many)`);
        return await list(deps, io);
      case 'show':
        yesOnly(false);
        if (extra.length > 0)
          throw new UsageError('profile show', `takes one NAME at most ("${extra[0]}" is one too many)`);
        return await show(deps, target, io);
      case 'use':
        yesOnly(false);
        return await use(deps, one('profile NAME'), io);
      case 'add':
        return await add(deps, one('FILE (a profile YAML)'), flags.has('yes'), io);
      case 'remove':
        return await remove(deps, one('profile NAME'), flags.has('yes'), io);
      default:
        throw new UsageError(
          sub === undefined ? 'profile' : `profile ${sub}`,
          `${sub === undefined ? 'needs' : 'is not'} one of list, show, use, add, remove (\`${cli} --help\`)`,
        );
    }
  } catch (e) {
    return printError(io, e);
  }
}
