import { z } from 'zod';
import { isAppError } from '../errors';
import type { Profile } from '../profile/schema';
import { shellCommand, shellQuote } from '../ssh/quote';
import { systemGit } from '../vault/git';
import { type RotationDeps, RotationRollback, type StepIo, TokenRotation } from '../vault/rotation';
import { advanceJournal, readJournal, rotationFolder } from '../vault/rotation-lock';
import { NothingToRollBack } from '../vault/token-errors';
import { vaultLocation } from '../vault/vault-file';
import { hostLabel } from './host-label';
import { flagParam } from './params';
import {
  configApplyStep,
  deployHost,
  inspectDeployVars,
  type PreflightScratch,
  playbookAction,
  preflightStep,
  warningsNote,
} from './playbook-steps';
import {
  rotationUnappliedAlert,
  rotationUnpushedAlert,
  TOKEN_APPLY_ACTION,
  TOKEN_APPLY_TITLE,
  TOKEN_ROLLBACK_ACTION,
  TOKEN_ROTATE_ACTION,
} from './rotation-alerts';
import {
  type AnyAction,
  defineAction,
  type LocalStep,
  type PlanContext,
  type RemoteStep,
  type StepAlert,
  type StepContext,
  type StepVerdict,
} from './types';

/**
 * The token rotation and its rollback in the runbook's catalog format, so they run like every other
 * action: a dry run, one confirmation, per-step state and output, host locks, the audit trail. The
 * token itself never reaches any of those: no step prints it, no summary names it.
 */

export interface TokenActionDeps extends RotationDeps {
  /** How long the deploy host's `git pull` may keep missing the rotation's commit (a mirror catching up). Default 60 s. */
  mirrorWaitMs?: number;
}

interface RotateParams {
  apply: boolean;
}

interface RollbackParams {
  runId?: string;
}

/** token.rotate's one transaction, made by the first step that needs it; the pre-flight when it applies. */
interface RotateScratch extends PreflightScratch {
  rotation: TokenRotation;
}

/** token.rollback's one transaction, made by the first step that needs it. */
interface RollbackScratch {
  rollback: RotationRollback;
}

function io(ctx: StepContext<unknown, object>): StepIo {
  return { signal: ctx.signal, timeoutMs: ctx.settings.deployCommandTimeoutMs, print: ctx.print };
}

/** Refuses a profile without a vault (VaultNotConfigured) before anything is planned. */
function vaultRequired<P>(params: P, profile: Profile): P {
  vaultLocation(profile);
  return params;
}

function verdictOf(error: unknown): StepVerdict {
  if (isAppError(error)) return { ok: false, message: error.message, error };
  throw error;
}

/** A local step whose work is one method of the transaction; typed errors become the step's verdict. */
function local<P, S extends object, T>(
  id: string,
  title: string,
  describe: (ctx: PlanContext<P, S>) => string,
  of: (ctx: StepContext<P, S>) => T,
  work: (t: T, ctx: StepContext<P, S>) => Promise<string> | string,
  extra: Partial<LocalStep<P, S>> = {},
): LocalStep<P, S> {
  return {
    kind: 'local',
    id,
    title,
    describe,
    run: async (ctx) => {
      try {
        return { ok: true, summary: await work(of(ctx), ctx) };
      } catch (e) {
        return verdictOf(e);
      }
    },
    ...extra,
  };
}

function unpushedAlert(ctx: PlanContext<unknown, object>): StepAlert {
  return rotationUnpushedAlert(ctx.profile);
}

/** The rotation's commit the deploy checkout must have: undefined while not known (a dry run), null when none is. */
type PulledCommit<P> = (ctx: PlanContext<P>) => string | null | undefined;

function pullCommand(deployCheckout: string, commit: string | null | undefined): string {
  const pull = `cd ${shellQuote(deployCheckout)} && ${shellCommand('git', 'pull', '--ff-only')}`;
  if (commit === null) return pull;
  return `${pull} && ${shellCommand('git', 'merge-base', '--is-ancestor', commit ?? '<the rotation commit>', 'HEAD')}`;
}

/**
 * `git pull --ff-only` in the deploy host's vault checkout, repeated until that checkout has the
 * rotation's commit: its remote may be a mirror that lags, and applying before it has the commit would
 * apply the old token again. Without a commit to wait for, the pull alone decides.
 */
function deployPullStep<P>(commit: PulledCommit<P>, deps: TokenActionDeps): RemoteStep<P> {
  const git = deps.git ?? systemGit;
  return {
    kind: 'remote',
    id: 'pull-deploy',
    title: 'Pull the vault on the deploy host (git pull)',
    host: deployHost,
    privileged: true,
    command: (ctx) => pullCommand(vaultLocation(ctx.profile).deployCheckout, commit(ctx)),
    timeoutMs: (ctx) => ctx.settings.deployCommandTimeoutMs,
    poll: (ctx) => ({
      everyMs: Math.max(ctx.settings.pollIntervalMs, 1000),
      forMs: deps.mirrorWaitMs ?? 60_000,
    }),
    check: (out, ctx) => {
      const wanted = commit(ctx);
      const short = wanted?.slice(0, 10) ?? 'the new commit';
      if (out.exitCode === 0)
        return {
          ok: true,
          summary:
            wanted === null
              ? "The deploy host's checkout is up to date."
              : `The deploy host's checkout has ${short}.`,
        };
      const tail = (out.stderr.trim() || out.stdout.trim()).split('\n').slice(-2).join(' / ');
      // merge-base: exit 1 when the commit is there but not in HEAD, 128 when the pull never fetched it.
      const missing =
        wanted !== null &&
        ((out.exitCode === 1 && !tail) ||
          (out.exitCode === 128 && out.stderr.includes(`Not a valid commit name ${wanted}`)));
      return {
        ok: false,
        message: missing
          ? `the deploy host's checkout does not have ${short} yet (is its remote a mirror that lags?)`
          : `git pull in ${vaultLocation(ctx.profile).deployCheckout} failed${tail ? `: ${tail}` : ''}`,
      };
    },
    // The journal says so for every process: the vault's token is on the deploy host, not applied yet.
    recordOutcome: async (ctx, ok) => {
      const wanted = commit(ctx);
      if (ok && wanted)
        await advanceJournal(vaultLocation(ctx.profile).repo, git, ['pushed'], 'pulled', wanted);
    },
  };
}

/** Once the apply with the rotation's commit succeeded, the journal says the rotated token is live. */
function markApplied<P>(commit: PulledCommit<P>, deps: TokenActionDeps) {
  const git = deps.git ?? systemGit;
  return async (ctx: StepContext<P>, ok: boolean) => {
    const wanted = commit(ctx);
    if (ok && wanted)
      await advanceJournal(vaultLocation(ctx.profile).repo, git, ['pushed', 'pulled'], 'applied', wanted);
  };
}

export function createTokenRotateAction(deps: TokenActionDeps): AnyAction {
  const rotation = (ctx: StepContext<RotateParams, RotateScratch>): TokenRotation =>
    (ctx.scratch.rotation ??= new TokenRotation(ctx.profile, deps, ctx.runId));
  const current = (ctx: PlanContext<RotateParams, RotateScratch>) => ctx.scratch.rotation;
  const file = (ctx: PlanContext<RotateParams, RotateScratch>) => vaultLocation(ctx.profile).fileInRepo;
  const alert = { alert: (ctx: PlanContext<RotateParams, RotateScratch>) => unpushedAlert(ctx) };

  return defineAction<RotateParams, RotateScratch>({
    id: TOKEN_ROTATE_ACTION,
    title: 'Make a new sign-up token',
    description:
      'Replaces the token new people sign up with and makes it live; the old one stops working. The token never shows on screen or on disk.',
    group: 'Users',
    host: 'deploy',
    asksServer: true,
    // The apply deploys vars.yml: it is linted before the plan, as every apply's is.
    inspect: async (ctx, io) => (ctx.params.apply ? inspectDeployVars(ctx, io) : {}),
    danger: () => 'disruptive',
    downtime: (ctx) =>
      ctx.params.apply
        ? 'Services whose configuration changed restart (Tuwunel: seconds). The old token stops working.'
        : 'None now; the old token keeps working until the configuration is applied.',
    params: z.object({ apply: flagParam(true).describe('Untick to only store it; apply later') }).strict(),
    bind: vaultRequired,
    confirm: (ctx) => {
      const v = vaultLocation(ctx.profile);
      return `Replace the registration token in ${v.fileInRepo} (${v.repo}), commit and push it, pull it into ${v.deployCheckout} on the ${ctx.profile.deploy.host} host${ctx.params.apply ? ', then apply the configuration (install-all,start): Tuwunel restarts and the old token stops working' : '; the new token takes effect at the next configuration apply'}.${ctx.params.apply ? warningsNote(ctx) : ''}`;
    },
    locks: (ctx) => (ctx.params.apply ? [ctx.profile.deploy.host, 'homeserver'] : [ctx.profile.deploy.host]),
    maintenanceWindow: (ctx) =>
      ctx.params.apply ? { units: 'all', reason: 'applying a new registration token' } : null,
    steps: [
      local(
        'lock',
        'Lock the vault repository',
        (ctx) =>
          `Take the rotation lock in ${vaultLocation(ctx.profile).repo}/.git/homeserver-tray (a second rotation is refused).`,
        rotation,
        (r, ctx) => r.acquireLock(io(ctx)),
      ),
      local(
        'precheck',
        'Check the vault repository',
        (ctx) =>
          `Check that ${file(ctx)} is tracked and unmodified and that the branch has an upstream to push to.`,
        rotation,
        (r, ctx) => r.precheck(io(ctx)),
      ),
      local(
        'decrypt',
        'Decrypt the vault in memory',
        (ctx) => `Read ${file(ctx)} and decrypt it in memory with the vault password from the keychain.`,
        rotation,
        (r) => r.decrypt(),
      ),
      local(
        'edit',
        'Put a new token in',
        (ctx) =>
          `Replace the ${ctx.profile.vault?.key} line (or add it) with 32 random bytes as hex; every other byte stays.`,
        rotation,
        (r) => r.edit(),
      ),
      local(
        'encrypt',
        'Encrypt the edited vault',
        () => 'Encrypt in memory, keeping the vault-id label.',
        rotation,
        (r) => r.encrypt(),
      ),
      local(
        'backup',
        'Keep a backup',
        (ctx) => `Copy ${file(ctx)} to ${file(ctx)}.bak.<epoch> (fsynced).`,
        rotation,
        (r) => r.backup(),
      ),
      local(
        'write',
        'Write the new vault',
        (ctx) =>
          `Write ${file(ctx)} through a temporary file in the same folder (fsync, rename, fsync the folder); the written bytes are decrypted and checked before the rename replaces the old vault.`,
        rotation,
        (r, ctx) => r.write(io(ctx)),
        alert,
      ),
      local(
        'verify',
        'Verify what was written',
        (ctx) =>
          `Read ${file(ctx)} back: it must be byte for byte the vault that decrypted to the edited plaintext.`,
        rotation,
        (r) => r.verify(),
        alert,
      ),
      local(
        'commit',
        'Commit the vault',
        (ctx) => `git add ${file(ctx)} && git commit -m "matrix: rotate registration token" -- ${file(ctx)}`,
        rotation,
        (r, ctx) => r.commitChange(io(ctx)),
        alert,
      ),
      local(
        'push',
        'Push the commit',
        () => 'git push to the branch’s upstream.',
        rotation,
        (r, ctx) => r.push(io(ctx)),
        alert,
      ),
      {
        ...deployPullStep<RotateParams>((ctx) => current(ctx)?.commit ?? undefined, deps),
        // Pulled is not applied yet: only an apply clears it.
        alert: (ctx) => ({ ...rotationUnappliedAlert(ctx, 'pull'), clear: false }),
      },
      preflightStep<RotateParams, RotateScratch>((ctx) => ctx.params.apply),
      {
        ...configApplyStep<RotateParams, RotateScratch>({ id: 'apply', when: (ctx) => ctx.params.apply }),
        alert: (ctx) => rotationUnappliedAlert(ctx, 'apply'),
        recordOutcome: markApplied((ctx) => current(ctx)?.commit ?? undefined, deps),
      },
    ],
    finally: [
      {
        kind: 'local',
        id: 'wipe',
        title: 'Forget the decrypted vault',
        describe: () => 'Zero the password, the plaintext and the token in memory.',
        run: (ctx) => {
          current(ctx)?.wipe();
          return { ok: true, summary: 'The decrypted vault and the token were wiped from memory.' };
        },
      },
      {
        kind: 'local',
        id: 'unlock',
        title: 'Unlock the vault repository',
        describe: () => 'Release the rotation lock.',
        run: async (ctx) => {
          const r = current(ctx);
          await r?.release();
          if (r?.rollbackOffered)
            return {
              ok: true,
              summary: `Nothing was pushed: "Undo the new sign-up token" puts ${r.backupPath?.split(/[\\/]/).pop()} back and removes the local commit.`,
            };
          return { ok: true, summary: 'The vault repository is unlocked.' };
        },
      },
    ],
    success: (ctx) =>
      ctx.params.apply
        ? 'The registration token was rotated and applied: the old token no longer works, and copying the token gives the new one.'
        : 'The registration token was rotated, pushed and pulled on the deploy host; apply the configuration to make it live.',
  });
}

interface ApplyScratch extends PreflightScratch {
  /** The last rotation's pushed commit, null when none is recorded; unset until looked up. */
  commit: string | null;
}

/**
 * The fix for "pushed but not applied", after a failed pull or a failed apply alike: the rotation's pull
 * on the deploy host (harmless when the checkout already has the commit), then the apply. It waits until
 * the checkout has the commit the rotation pushed, so its success means the rotated token is live.
 */
export function createTokenApplyAction(deps: TokenActionDeps): AnyAction {
  const git = deps.git ?? systemGit;
  const pushed = (ctx: PlanContext<Record<string, never>, ApplyScratch>) => ctx.scratch.commit;
  return playbookAction<ApplyScratch>({
    id: TOKEN_APPLY_ACTION,
    title: TOKEN_APPLY_TITLE,
    description: 'Brings a stored new token to the server and applies it; the old one stops working.',
    deploysVars: true,
    group: 'Users',
    downtime: 'Services whose configuration changed restart (Tuwunel: seconds). The old token stops working.',
    bind: vaultRequired,
    confirm: (ctx) =>
      `Pull ${vaultLocation(ctx.profile).deployCheckout} on ${hostLabel(ctx.profile, ctx.profile.deploy.host)}, then apply the configuration from there (install-all,start): services whose configuration changed restart and the old registration token stops working.`,
    maintenance: { units: 'all', reason: 'applying the rotated registration token' },
    steps: [
      {
        kind: 'local',
        id: 'find-rotation',
        title: 'Find the rotation’s commit',
        describe: (ctx) =>
          `Read the commit the last rotation pushed from its journal in ${vaultLocation(ctx.profile).repo}/.git/homeserver-tray: the deploy host's checkout must have it.`,
        run: async (ctx) => {
          try {
            const { repo } = vaultLocation(ctx.profile);
            const journal = await readJournal(await rotationFolder(repo, git));
            const commit = journal?.stage === 'pushed' || journal?.stage === 'pulled' ? journal.commit : null;
            ctx.scratch.commit = commit;
            return {
              ok: true,
              summary:
                journal && commit
                  ? `Rotation ${journal.runId.slice(0, 8)} pushed ${commit.slice(0, 10)}.`
                  : `No pushed rotation is recorded in ${repo}: the pull only brings the deploy host's checkout up to date.`,
            };
          } catch (e) {
            return verdictOf(e);
          }
        },
      },
      deployPullStep(pushed, deps),
      {
        ...configApplyStep<Record<string, never>, ApplyScratch>({ id: 'apply' }),
        // The checkout has the rotation now: if the apply fails, an apply alone is what is missing.
        alert: (ctx) => ({
          ...rotationUnappliedAlert(ctx, 'apply'),
          raise: typeof pushed(ctx) === 'string',
        }),
        recordOutcome: markApplied(pushed, deps),
      },
    ],
    success: (ctx) => {
      const commit = pushed(ctx);
      return commit
        ? `The rotated registration token is live: the deploy host's vault checkout has ${commit.slice(0, 10)} and the configuration was applied, so the old token no longer works.`
        : "The deploy host's vault checkout is up to date and the configuration was applied.";
    },
  });
}

export function createTokenRollbackAction(deps: RotationDeps): AnyAction {
  const rollback = (ctx: StepContext<RollbackParams, RollbackScratch>): RotationRollback =>
    (ctx.scratch.rollback ??= new RotationRollback(ctx.profile, deps, ctx.runId));
  return defineAction<RollbackParams, RollbackScratch>({
    id: TOKEN_ROLLBACK_ACTION,
    title: 'Undo the new sign-up token',
    description: 'After making a new token failed before it was shared: puts the previous one back.',
    group: 'Users',
    host: 'deploy',
    danger: () => 'safe',
    downtime: () => 'None: only the vault repository on this computer changes.',
    params: z.object({ runId: z.string().min(1).max(200).optional() }).strict(),
    bind: vaultRequired,
    confirm: (ctx) =>
      `Restore ${vaultLocation(ctx.profile).fileInRepo} from the last rotation's backup and remove its local commit.`,
    locks: () => [],
    steps: [
      local(
        'lock',
        'Lock the vault repository',
        () => 'Take the rotation lock.',
        rollback,
        (r) => r.acquireLock(),
      ),
      {
        kind: 'local',
        id: 'inspect',
        title: 'Find what the rotation changed',
        describe: () =>
          'Read the rotation journal, and check that its commit is HEAD and is not on the remote (git fetch, merge-base).',
        run: async (ctx) => {
          try {
            return {
              ok: true,
              summary: await rollback(ctx).inspect(ctx.params.runId ?? null, io(ctx)),
            };
          } catch (e) {
            if (e instanceof NothingToRollBack) return { ok: true, summary: e.message, finish: e.message };
            return verdictOf(e);
          }
        },
      },
      local(
        'restore',
        'Restore the backup',
        () => 'Copy the backup over the vault (atomically).',
        rollback,
        (r) => r.restore(),
      ),
      local(
        'reset-commit',
        'Remove the local commit',
        () => 'git reset --soft <HEAD before the rotation>; unstage the vault.',
        rollback,
        (r, ctx) => r.resetCommit(io(ctx)),
      ),
      local(
        'verify',
        'Verify the restored vault',
        () => 'It must equal the backup and open with the stored vault password.',
        rollback,
        (r) => r.verify(),
        { alert: (ctx) => ({ ...unpushedAlert(ctx), raise: false }) },
      ),
    ],
    finally: [
      {
        kind: 'local',
        id: 'unlock',
        title: 'Unlock the vault repository',
        describe: () => 'Release the rotation lock.',
        run: async (ctx) => {
          await ctx.scratch.rollback?.release();
          return { ok: true, summary: 'The vault repository is unlocked.' };
        },
      },
    ],
    success: () => 'The rotation was rolled back: the vault and the branch are as they were before it.',
  });
}

/** The token actions, for the catalog: `new Runbook({ catalog: [...CATALOG, ...createTokenActions(deps)] })`. */
export function createTokenActions(deps: TokenActionDeps): AnyAction[] {
  return [createTokenRotateAction(deps), createTokenApplyAction(deps), createTokenRollbackAction(deps)];
}
