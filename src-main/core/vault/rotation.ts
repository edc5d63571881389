import { randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type AtomicWriteEvent,
  removeStaleTemps,
  replaceFileAtomically,
  writeNewFileDurably,
} from '../lib/atomic-file';
import type { Profile } from '../profile/schema';
import type { SecretStore } from '../secrets/types';
import { decryptVault, prepareVaultSealer, type VaultSealer } from './codec';
import { type GitOptions, type GitRunner, systemGit } from './git';
import {
  acquireRotationLock,
  type RotationJournal,
  type RotationLock,
  readJournal,
  rotationFolder,
  writeJournal,
} from './rotation-lock';
import { NothingToRollBack, RollbackRefused, VaultNotEditable, VaultRepoNotReady } from './token-errors';
import { readVaultFile, type VaultLocation, vaultLocation, vaultPassword } from './vault-file';
import { checkKeyEdit, readTopLevelKey, replaceTopLevelKey } from './yaml-key';

/** The runbook's commit message, word for word. */
export const ROTATION_COMMIT_MESSAGE = 'matrix: rotate registration token';
/** The runbook's `openssl rand -hex 32`. */
export const TOKEN_BYTES = 32;

export interface RotationDeps {
  secrets: SecretStore;
  git?: GitRunner;
  /** Where the new token's randomness comes from (node:crypto unless a test pins it). */
  randomBytes?: (size: number) => Buffer;
  now?: () => Date;
}

/** What each step may use: cancellation, a bound on git commands, and a line of commentary. */
export interface StepIo {
  signal?: AbortSignal;
  timeoutMs?: number;
  print?: (line: string) => void;
}

/** Hex digits of `bytes` as ASCII bytes, without ever making a string of them. */
function hexBytes(bytes: Buffer): Buffer {
  const digits = Buffer.from('0123456789abcdef', 'latin1');
  const out = Buffer.alloc(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = digits[(bytes[i] as number) >> 4] as number;
    out[2 * i + 1] = digits[(bytes[i] as number) & 15] as number;
  }
  return out;
}

function short(sha: string): string {
  return sha.slice(0, 10);
}

interface Upstream {
  branch: string;
  remote: string;
  /** e.g. refs/heads/main */
  mergeRef: string;
  /** e.g. origin/main */
  name: string;
}

async function upstreamOf(repo: string, git: GitRunner, options: GitOptions): Promise<Upstream> {
  const branch = (await git(repo, ['rev-parse', '--abbrev-ref', 'HEAD'], options)).stdout.trim();
  if (branch === 'HEAD')
    throw new VaultRepoNotReady(
      repo,
      'HEAD is detached',
      'Check out the branch the vault is kept on (e.g. git switch main).',
    );
  const remote = await git(repo, ['config', `branch.${branch}.remote`], { ...options, allowFailure: true });
  const merge = await git(repo, ['config', `branch.${branch}.merge`], { ...options, allowFailure: true });
  if (remote.exitCode !== 0 || merge.exitCode !== 0 || !remote.stdout.trim() || !merge.stdout.trim()) {
    throw new VaultRepoNotReady(
      repo,
      `the branch ${branch} has no upstream to push to`,
      `Push it once with \`git push -u origin ${branch}\` in ${repo}, then try again.`,
    );
  }
  const mergeRef = merge.stdout.trim();
  const name = `${remote.stdout.trim()}/${mergeRef.replace(/^refs\/heads\//, '')}`;
  return { branch, remote: remote.stdout.trim(), mergeRef, name };
}

export interface VerifiedWrite {
  password: Buffer;
  /** The plaintext the vault must decrypt to. */
  expected: Buffer;
  key: string;
  /** The key's new value (ASCII bytes). */
  token: Buffer;
  source: string;
  onEvent?: (event: AtomicWriteEvent) => void;
}

/**
 * Writes `vaulttext` over `file` (temp file, fsync, rename, fsync the folder) and decrypts those very
 * bytes while they are written: only if they decrypt to `expected`, with `key` reading back as `token`
 * the way Ansible reads it, does the rename replace the old vault. The verification costs no extra
 * time next to the fsyncs, and an unreadable vault never takes the old one's place.
 */
export async function writeVerifiedVault(
  file: string,
  vaulttext: string,
  check: VerifiedWrite,
): Promise<void> {
  const bytes = Buffer.from(vaulttext, 'latin1');
  const verify = async () => {
    const { plaintext } = await decryptVault(bytes, check.password, { source: check.source });
    try {
      const readBack = Buffer.from(readTopLevelKey(plaintext, check.key, check.source) ?? '', 'latin1');
      const same =
        plaintext.equals(check.expected) &&
        readBack.length === check.token.length &&
        timingSafeEqual(readBack, check.token);
      readBack.fill(0);
      if (!same)
        throw new VaultNotEditable(check.source, 'the new vault does not decrypt to the edited plaintext');
    } finally {
      plaintext.fill(0);
    }
  };
  await replaceFileAtomically(file, bytes, check.onEvent, verify);
}

/**
 * The runbook's "Generate a new registration token" as a transaction on the workstation's vault
 * checkout. Each method is one step of the runner; the plaintext lives only in Buffers of this object
 * (never on a disk, /dev/shm included, never in argv or env) and wipe() zeroes them. A crash between
 * any two steps leaves a vault that opens (the old one or the new one): only whole, fsynced files are
 * renamed into place.
 */
export class TokenRotation {
  readonly location: VaultLocation;
  private readonly git: GitRunner;
  private readonly randomBytes: (size: number) => Buffer;
  private readonly now: () => Date;
  private folder: string | null = null;
  private lock: RotationLock | null = null;
  private upstream: Upstream | null = null;
  private password: Buffer | null = null;
  private original: Buffer | null = null;
  private plaintext: Buffer | null = null;
  private label: string | null = null;
  private token: Buffer | null = null;
  private edited: Buffer | null = null;
  private encrypted: string | null = null;
  private sealer: VaultSealer | null = null;
  private written = false;
  private readonly startedAt: string;
  previousHead: string | null = null;
  backupPath: string | null = null;
  commit: string | null = null;
  pushed = false;

  constructor(
    private readonly profile: Profile,
    private readonly deps: RotationDeps,
    readonly runId: string,
  ) {
    this.location = vaultLocation(profile);
    this.git = deps.git ?? systemGit;
    this.randomBytes = deps.randomBytes ?? cryptoRandomBytes;
    this.now = deps.now ?? (() => new Date());
    this.startedAt = this.now().toISOString();
  }

  private gitOptions(io: StepIo): GitOptions {
    return { signal: io.signal, timeoutMs: io.timeoutMs };
  }

  private async run(io: StepIo, args: string[], extra: GitOptions = {}) {
    io.print?.(`$ git ${args.join(' ')}`);
    const result = await this.git(this.location.repo, args, { ...this.gitOptions(io), ...extra });
    for (const line of `${result.stdout}${result.stderr}`.split('\n')) if (line.trim()) io.print?.(line);
    return result;
  }

  async acquireLock(io: StepIo = {}): Promise<string> {
    this.folder = await rotationFolder(this.location.repo, this.git);
    this.lock = await acquireRotationLock(this.folder, this.location.repo, this.runId);
    const stale = await removeStaleTemps(this.location.file);
    if (stale.length > 0)
      io.print?.(
        `Removed ${stale.length === 1 ? 'a temporary file' : `${stale.length} temporary files`} an interrupted run left.`,
      );
    return `Locked ${this.location.repo} for this rotation.`;
  }

  async precheck(io: StepIo = {}): Promise<string> {
    const { repo, fileInRepo } = this.location;
    const options = this.gitOptions(io);
    this.upstream = await upstreamOf(repo, this.git, options);
    const tracked = await this.git(repo, ['ls-files', '--error-unmatch', '--', fileInRepo], {
      ...options,
      allowFailure: true,
    });
    if (tracked.exitCode !== 0)
      throw new VaultRepoNotReady(
        repo,
        `${fileInRepo} is not tracked by git`,
        'Commit the vault file once, then try again.',
      );
    const dirty = await this.git(repo, ['diff', '--quiet', 'HEAD', '--', fileInRepo], {
      ...options,
      allowFailure: true,
    });
    if (dirty.exitCode !== 0)
      throw new VaultRepoNotReady(
        repo,
        `${fileInRepo} has changes that are not committed`,
        `Commit or discard them (git diff -- ${fileInRepo} shows them only as ciphertext; use ansible-vault view), then try again.`,
      );
    this.previousHead = (await this.git(repo, ['rev-parse', 'HEAD'], options)).stdout.trim();
    return `On ${this.upstream.branch} at ${short(this.previousHead)}, pushing to ${this.upstream.name}.`;
  }

  async decrypt(): Promise<string> {
    const { fileInRepo } = this.location;
    this.original = await readVaultFile(this.location);
    this.password = await vaultPassword(this.profile, this.deps.secrets);
    // The new vault's keys (fresh salt) are derived meanwhile, on another thread: half the rotation's time.
    const sealing = prepareVaultSealer(this.password);
    let opened: Awaited<ReturnType<typeof decryptVault>>;
    try {
      opened = await decryptVault(this.original, this.password, { source: fileInRepo });
    } catch (e) {
      void sealing.then(
        (sealer) => sealer.dispose(),
        () => {},
      );
      throw e;
    }
    this.sealer = await sealing;
    this.plaintext = opened.plaintext;
    this.label = opened.label;
    return `Opened ${fileInRepo} in memory (format ${opened.version}${opened.label ? `, vault-id ${opened.label}` : ''}).`;
  }

  edit(): string {
    const plaintext = this.need(this.plaintext, 'decrypt');
    const { key, fileInRepo } = this.location;
    const had = readTopLevelKey(plaintext, key, fileInRepo) !== null;
    const random = this.randomBytes(TOKEN_BYTES);
    this.token = hexBytes(random);
    random.fill(0);
    const line = Buffer.concat([Buffer.from(`${key}: "`, 'latin1'), this.token, Buffer.from('"', 'latin1')]);
    this.edited = replaceTopLevelKey(plaintext, key, line);
    line.fill(0);
    checkKeyEdit(plaintext, this.edited, key, this.token.toString('latin1'), fileInRepo);
    return `${had ? 'Replaced' : 'Added'} ${key} with a new token of ${TOKEN_BYTES} random bytes; every other line is unchanged.`;
  }

  async encrypt(): Promise<string> {
    const edited = this.need(this.edited, 'edit');
    const sealer = this.need(this.sealer, 'decrypt');
    this.sealer = null;
    this.encrypted = sealer.seal(edited, this.label);
    return 'Encrypted the edited vault in memory.';
  }

  async backup(): Promise<string> {
    const original = this.need(this.original, 'decrypt');
    const mode = (await stat(this.location.file)).mode & 0o777;
    const epoch = Math.floor(this.now().getTime() / 1000);
    for (let n = 0; ; n++) {
      const candidate = `${this.location.file}.bak.${epoch}${n === 0 ? '' : `.${n}`}`;
      try {
        await writeNewFileDurably(candidate, original, mode);
        this.backupPath = candidate;
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || n > 100) throw e;
      }
    }
    await this.journal('backed-up');
    return `Kept the current vault as ${basename(this.backupPath)}.`;
  }

  async write(io: StepIo = {}): Promise<string> {
    const encrypted = this.need(this.encrypted, 'encrypt');
    const current = await readVaultFile(this.location);
    if (!current.equals(this.need(this.original, 'decrypt')))
      throw new VaultNotEditable(
        this.location.fileInRepo,
        'it changed on disk while the rotation ran; nothing was written',
      );
    const said: Record<AtomicWriteEvent, string> = {
      'temp-synced': 'Wrote the new vault to a temporary file beside it and synced it to disk.',
      renamed: `Renamed it over ${this.location.fileInRepo}.`,
      'folder-synced': 'Synced the folder, so the rename survives a power cut.',
    };
    await writeVerifiedVault(this.location.file, encrypted, {
      password: this.need(this.password, 'decrypt'),
      expected: this.need(this.edited, 'edit'),
      key: this.location.key,
      token: this.need(this.token, 'edit'),
      source: this.location.fileInRepo,
      onEvent: (event) => io.print?.(said[event]),
    });
    this.written = true;
    return `Wrote ${this.location.fileInRepo}; its bytes decrypt to the edited vault with the new token.`;
  }

  /** The decryption ran on the very bytes written, before they replaced the old vault; this proves the disk holds them. */
  async verify(): Promise<string> {
    const { fileInRepo } = this.location;
    if (!this.written) throw new VaultNotEditable(fileInRepo, 'the new vault was not written');
    const onDisk = await readVaultFile(this.location);
    if (!onDisk.equals(Buffer.from(this.need(this.encrypted, 'encrypt'), 'latin1')))
      throw new VaultNotEditable(fileInRepo, 'what was read back is not what was written');
    return `${fileInRepo} on disk is byte for byte the vault that decrypted to the edited plaintext with the new token.`;
  }

  async commitChange(io: StepIo = {}): Promise<string> {
    const { fileInRepo } = this.location;
    await this.run(io, ['add', '--', fileInRepo]);
    // With a pathspec, git commits only the vault, whatever else happens to be staged.
    await this.run(io, ['commit', '--quiet', '-m', ROTATION_COMMIT_MESSAGE, '--', fileInRepo], {
      nextStep:
        'Fix what git says (e.g. set user.name and user.email), then run the rotation again or roll it back.',
    });
    this.commit = (
      await this.git(this.location.repo, ['rev-parse', 'HEAD'], this.gitOptions(io))
    ).stdout.trim();
    await this.journal('committed');
    return `Committed ${short(this.commit)} "${ROTATION_COMMIT_MESSAGE}".`;
  }

  async push(io: StepIo = {}): Promise<string> {
    const upstream = this.need(this.upstream, 'precheck');
    await this.run(io, ['push', '--porcelain', upstream.remote, `HEAD:${upstream.mergeRef}`], {
      nextStep:
        'Nothing left this computer: fix the remote (network, credentials, a rejected push), then roll the rotation back and run it again.',
    });
    this.pushed = true;
    await this.journal('pushed');
    return `Pushed ${short(this.need(this.commit, 'commit'))} to ${upstream.name}.`;
  }

  /** Whether a failure now leaves something to roll back: the vault was touched but nothing left the computer. */
  get rollbackOffered(): boolean {
    return this.backupPath !== null && !this.pushed;
  }

  /** Zeroes the password, the plaintexts and the token. */
  wipe(): void {
    for (const b of [this.password, this.plaintext, this.edited, this.token]) b?.fill(0);
    this.sealer?.dispose();
    this.sealer = null;
    this.password = this.plaintext = this.edited = this.token = null;
  }

  async release(): Promise<void> {
    await this.lock?.release();
    this.lock = null;
  }

  private need<T>(value: T | null, step: string): T {
    if (value === null) throw new Error(`The rotation step "${step}" has not run.`);
    return value;
  }

  private async journal(stage: RotationJournal['stage']): Promise<void> {
    await writeJournal(this.need(this.folder, 'lock'), {
      runId: this.runId,
      startedAt: this.startedAt,
      file: this.location.file,
      backup: this.need(this.backupPath, 'backup'),
      previousHead: this.need(this.previousHead, 'precheck'),
      commit: this.commit,
      upstream: this.need(this.upstream, 'precheck').name,
      stage,
    });
  }
}

/**
 * Undoes a rotation that did not leave the computer: puts the backup back in place and removes the
 * rotation's local commit. Refuses once the commit is on the remote (the deploy host may have it).
 */
export class RotationRollback {
  readonly location: VaultLocation;
  private readonly git: GitRunner;
  private folder: string | null = null;
  private lock: RotationLock | null = null;
  private journal: RotationJournal | null = null;
  private commit: string | null = null;

  constructor(
    private readonly profile: Profile,
    private readonly deps: RotationDeps,
    readonly runId: string,
  ) {
    this.location = vaultLocation(profile);
    this.git = deps.git ?? systemGit;
  }

  async acquireLock(): Promise<string> {
    this.folder = await rotationFolder(this.location.repo, this.git);
    this.lock = await acquireRotationLock(this.folder, this.location.repo, this.runId);
    return `Locked ${this.location.repo}.`;
  }

  /** Throws NothingToRollBack when there is nothing to do, RollbackRefused when it must not be done. */
  async inspect(rotationRunId: string | null, io: StepIo = {}): Promise<string> {
    const { repo } = this.location;
    const options = { signal: io.signal, timeoutMs: io.timeoutMs };
    const journal = await readJournal(this.need(this.folder));
    if (!journal || journal.stage === 'rolled-back')
      throw new NothingToRollBack(
        repo,
        journal ? 'the last one was already rolled back' : 'no rotation was recorded',
      );
    if (rotationRunId && journal.runId !== rotationRunId)
      throw new RollbackRefused(
        repo,
        `the last rotation there is run ${journal.runId.slice(0, 8)}, not ${rotationRunId.slice(0, 8)}`,
        'Roll back the most recent rotation only, or restore an older backup by hand.',
      );
    const refusePushed = () =>
      new RollbackRefused(
        repo,
        `its commit is already on ${journal.upstream}, so the deploy host may have the new token`,
        'Rotate the token again instead: that replaces it everywhere.',
      );
    if (journal.stage === 'pushed') throw refusePushed();

    const head = (await this.git(repo, ['rev-parse', 'HEAD'], options)).stdout.trim();
    let commit = journal.commit;
    if (!commit && head !== journal.previousHead) {
      // Killed between `git commit` and the journal entry: HEAD is the rotation's commit if it says so.
      const subject = (await this.git(repo, ['log', '-1', '--format=%s%n%P'], options)).stdout.split('\n');
      if (subject[0] === ROTATION_COMMIT_MESSAGE && subject[1]?.trim() === journal.previousHead)
        commit = head;
    }
    if (commit) {
      if (head !== commit)
        throw new RollbackRefused(
          repo,
          `HEAD moved on after the rotation's commit ${short(commit)}`,
          `Undo it by hand: \`git revert ${short(commit)}\`, or restore ${basename(journal.backup)} over the vault.`,
        );
      const [remote, ...branch] = journal.upstream.split('/');
      io.print?.(`Checking that ${short(commit)} is not on ${journal.upstream}…`);
      const fetched = await this.git(repo, ['fetch', '--quiet', remote ?? 'origin', branch.join('/')], {
        ...options,
        allowFailure: true,
      });
      const ref = fetched.exitCode === 0 ? 'FETCH_HEAD' : `refs/remotes/${journal.upstream}`;
      if (fetched.exitCode !== 0)
        io.print?.(`The remote did not answer; going by the last known state of ${journal.upstream}.`);
      const onRemote = await this.git(repo, ['merge-base', '--is-ancestor', commit, ref], {
        ...options,
        allowFailure: true,
      });
      if (onRemote.exitCode === 0) {
        await writeJournal(this.need(this.folder), { ...journal, commit, stage: 'pushed' });
        throw refusePushed();
      }
    }
    this.journal = journal;
    this.commit = commit;
    return `Rotation ${journal.runId.slice(0, 8)} did not leave this computer${commit ? ` (local commit ${short(commit)})` : ''}; restoring ${basename(journal.backup)}.`;
  }

  async restore(): Promise<string> {
    const journal = this.need(this.journal);
    const backup = await readVaultFile({ ...this.location, file: journal.backup });
    await replaceFileAtomically(this.location.file, backup);
    return `Put ${basename(journal.backup)} back as ${this.location.fileInRepo}.`;
  }

  async resetCommit(io: StepIo = {}): Promise<string> {
    const journal = this.need(this.journal);
    if (!this.commit) return 'There was no commit to remove.';
    const options = { signal: io.signal, timeoutMs: io.timeoutMs };
    await this.git(this.location.repo, ['reset', '--quiet', '--soft', journal.previousHead], options);
    await this.git(
      this.location.repo,
      ['reset', '--quiet', journal.previousHead, '--', this.location.fileInRepo],
      options,
    );
    return `Removed the local commit ${short(this.commit)}; HEAD is ${short(journal.previousHead)} again.`;
  }

  async verify(): Promise<string> {
    const journal = this.need(this.journal);
    const restored = await readVaultFile(this.location);
    const backup = await readVaultFile({ ...this.location, file: journal.backup });
    if (!restored.equals(backup))
      throw new VaultNotEditable(this.location.fileInRepo, 'the restored file differs from the backup');
    const password = await vaultPassword(this.profile, this.deps.secrets);
    try {
      (await decryptVault(restored, password, { source: this.location.fileInRepo })).plaintext.fill(0);
    } finally {
      password.fill(0);
    }
    await writeJournal(this.need(this.folder), { ...journal, commit: this.commit, stage: 'rolled-back' });
    return `${this.location.fileInRepo} opens with the stored password and is the vault from before the rotation.`;
  }

  async release(): Promise<void> {
    await this.lock?.release();
    this.lock = null;
  }

  private need<T>(value: T | null): T {
    if (value === null) throw new Error('The rollback steps ran out of order.');
    return value;
  }
}
