import { z } from 'zod';
import { isAppError } from '../errors';
import type { HostRole } from '../profile/schema';
import { configApplyStep, ROTATION_UNAPPLIED_ALERT, rotationUnappliedAlert } from '../runbook/catalog';
import { flagParam } from '../runbook/params';
import {
  type AnyAction,
  defineAction,
  type LocalStep,
  type PlanContext,
  type StepAlert,
  type StepContext,
  type StepVerdict,
} from '../runbook/types';
import { shellCommand, shellQuote } from '../ssh/quote';
import { type RotationDeps, RotationRollback, type StepIo, TokenRotation } from './rotation';
import { NothingToRollBack } from './token-errors';
import { vaultLocation } from './vault-file';

/**
 * The token rotation and its rollback in the runbook's catalog format, so they run like every other
 * action: a dry run, one confirmation, per-step state and output, host locks, the audit trail. The
 * token itself never reaches any of those: no step prints it, no summary names it.
 */

export interface TokenActionDeps extends RotationDeps {
  /** How long the deploy host's `git pull` may keep missing the new commit (a mirror catching up). Default 60 s. */
  mirrorWaitMs?: number;
}

export const TOKEN_ROTATE_ACTION = 'token.rotate';
export const TOKEN_ROLLBACK_ACTION = 'token.rollback';
export const ROTATION_UNPUSHED_ALERT = 'token-rotation-unpushed';
export { ROTATION_UNAPPLIED_ALERT };

interface RotateParams {
  apply: boolean;
}

interface RollbackParams {
  runId?: string;
}

const deployHost = (ctx: PlanContext<unknown>): HostRole => ctx.profile.deploy.host;

function io(ctx: StepContext<unknown>): StepIo {
  return { signal: ctx.signal, timeoutMs: ctx.settings.deployCommandTimeoutMs, print: ctx.print };
}

function verdictOf(error: unknown): StepVerdict {
  if (isAppError(error)) return { ok: false, message: error.message, error };
  throw error;
}

/** A local step whose work is one method of the transaction; typed errors become the step's verdict. */
function local<P, T>(
  id: string,
  title: string,
  describe: (ctx: PlanContext<P>) => string,
  of: (ctx: StepContext<P>) => T,
  work: (t: T, ctx: StepContext<P>) => Promise<string> | string,
  extra: Partial<LocalStep<P>> = {},
): LocalStep<P> {
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

function unpushedAlert(ctx: PlanContext<unknown>): StepAlert {
  return {
    id: ROTATION_UNPUSHED_ALERT,
    title: 'A token rotation stopped before it was pushed',
    message: `The vault in ${vaultLocation(ctx.profile).repo} was changed by a rotation that did not finish; nothing left this computer. Roll it back (or rotate again).`,
    fixActionId: TOKEN_ROLLBACK_ACTION,
  };
}

function pullCommand(deployCheckout: string, commit: string): string {
  return `cd ${shellQuote(deployCheckout)} && ${shellCommand('git', 'pull', '--ff-only')} && ${shellCommand('git', 'merge-base', '--is-ancestor', commit, 'HEAD')}`;
}

export function createTokenRotateAction(deps: TokenActionDeps): AnyAction {
  const rotation = (ctx: StepContext<RotateParams>): TokenRotation => {
    const existing = ctx.scratch.rotation as TokenRotation | undefined;
    if (existing) return existing;
    const created = new TokenRotation(ctx.profile, deps, ctx.runId);
    ctx.scratch.rotation = created;
    return created;
  };
  const current = (ctx: StepContext<RotateParams>) => ctx.scratch.rotation as TokenRotation | undefined;
  const file = (ctx: PlanContext<RotateParams>) => vaultLocation(ctx.profile).fileInRepo;
  const alert = { alert: (ctx: PlanContext<RotateParams>) => unpushedAlert(ctx as PlanContext<unknown>) };

  return defineAction<RotateParams>({
    id: TOKEN_ROTATE_ACTION,
    title: 'Rotate the registration token',
    description:
      'The runbook\'s "Generate a new registration token" without plaintext on any disk: decrypts the vault in memory, replaces the token with 32 random bytes (hex), keeps a vault.yml.bak.<epoch> backup, writes atomically, verifies, commits and pushes, pulls on the deploy host, then applies the configuration (unless apply=false).',
    group: 'Users',
    host: 'deploy',
    danger: () => 'disruptive',
    downtime: (ctx) =>
      ctx.params.apply
        ? 'Services whose configuration changed restart (Tuwunel: seconds). The old token stops working.'
        : 'None now; the old token keeps working until the configuration is applied.',
    params: z
      .object({ apply: flagParam(true).describe('Apply the configuration afterwards (default true)') })
      .strict(),
    bind: (p, profile) => {
      vaultLocation(profile);
      return p;
    },
    confirm: (ctx) => {
      const v = vaultLocation(ctx.profile);
      return `Replace the registration token in ${v.fileInRepo} (${v.repo}), commit and push it, pull it into ${v.deployCheckout} on the ${ctx.profile.deploy.host} host${ctx.params.apply ? ', then apply the configuration (install-all,start): Tuwunel restarts and the old token stops working' : '; the new token takes effect at the next configuration apply'}.`;
    },
    locks: (ctx) => (ctx.params.apply ? [ctx.profile.deploy.host, 'homeserver'] : [ctx.profile.deploy.host]),
    maintenanceWindow: (ctx) =>
      ctx.params.apply ? { units: 'all', reason: 'Applying a new registration token (token.rotate)' } : null,
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
        kind: 'remote',
        id: 'pull-deploy',
        title: 'Pull the vault on the deploy host (git pull)',
        host: deployHost,
        privileged: true,
        command: (ctx) =>
          pullCommand(
            vaultLocation(ctx.profile).deployCheckout,
            (ctx.scratch.rotation as TokenRotation | undefined)?.commit ?? '<the rotation commit>',
          ),
        timeoutMs: (ctx) => ctx.settings.deployCommandTimeoutMs,
        poll: (ctx) => ({
          everyMs: Math.max(ctx.settings.pollIntervalMs, 1000),
          forMs: deps.mirrorWaitMs ?? 60_000,
        }),
        // Pulled is not applied yet: only an apply clears it.
        alert: (ctx) => ({ ...rotationUnappliedAlert(ctx as PlanContext<unknown>, 'pull'), clear: false }),
        check: (out, ctx) => {
          const commit = current(ctx)?.commit?.slice(0, 10) ?? 'the new commit';
          if (out.exitCode === 0) return { ok: true, summary: `The deploy host's checkout has ${commit}.` };
          const tail = (out.stderr.trim() || out.stdout.trim()).split('\n').slice(-2).join(' / ');
          return {
            ok: false,
            message:
              out.exitCode === 1 && !tail
                ? `the deploy host's checkout does not have ${commit} yet (is its remote a mirror that lags?)`
                : `git pull in ${vaultLocation(ctx.profile).deployCheckout} failed${tail ? `: ${tail}` : ''}`,
          };
        },
      },
      {
        ...configApplyStep<RotateParams>({ id: 'apply', when: (ctx) => ctx.params.apply }),
        alert: (ctx) => rotationUnappliedAlert(ctx as PlanContext<unknown>, 'apply'),
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
              summary: `Nothing was pushed: "Roll back the token rotation" puts ${r.backupPath?.split(/[\\/]/).pop()} back and removes the local commit.`,
            };
          return { ok: true, summary: 'The vault repository is unlocked.' };
        },
      },
    ],
    success: (ctx) =>
      ctx.params.apply
        ? 'The registration token was rotated and applied: the old token no longer works. Copy the new one from the Tokens panel.'
        : 'The registration token was rotated, pushed and pulled on the deploy host; apply the configuration to make it live.',
  });
}

export function createTokenRollbackAction(deps: RotationDeps): AnyAction {
  const rollback = (ctx: StepContext<RollbackParams>): RotationRollback => {
    const existing = ctx.scratch.rollback as RotationRollback | undefined;
    if (existing) return existing;
    const created = new RotationRollback(ctx.profile, deps, ctx.runId);
    ctx.scratch.rollback = created;
    return created;
  };
  return defineAction<RollbackParams>({
    id: TOKEN_ROLLBACK_ACTION,
    title: 'Roll back the token rotation',
    description:
      'After a rotation that stopped before it was pushed: puts the vault.yml.bak.<epoch> backup back and removes the rotation’s local commit. Refused once the commit is on the remote.',
    group: 'Users',
    host: 'deploy',
    danger: () => 'safe',
    downtime: () => 'None: only the vault repository on this computer changes.',
    params: z.object({ runId: z.string().min(1).max(200).optional() }).strict(),
    bind: (p, profile) => {
      vaultLocation(profile);
      return p;
    },
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
              summary: await rollback(ctx).inspect(ctx.params.runId ?? null, io(ctx as StepContext<unknown>)),
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
        (r, ctx) => r.resetCommit(io(ctx as StepContext<unknown>)),
      ),
      local(
        'verify',
        'Verify the restored vault',
        () => 'It must equal the backup and open with the stored vault password.',
        rollback,
        (r) => r.verify(),
        { alert: (ctx) => ({ ...unpushedAlert(ctx as PlanContext<unknown>), raise: false }) },
      ),
    ],
    finally: [
      {
        kind: 'local',
        id: 'unlock',
        title: 'Unlock the vault repository',
        describe: () => 'Release the rotation lock.',
        run: async (ctx) => {
          await (ctx.scratch.rollback as RotationRollback | undefined)?.release();
          return { ok: true, summary: 'The vault repository is unlocked.' };
        },
      },
    ],
    success: () => 'The rotation was rolled back: the vault and the branch are as they were before it.',
  });
}

/** Both actions, for the catalog: `new Runbook({ catalog: [...CATALOG, ...createTokenActions(deps)] })`. */
export function createTokenActions(deps: TokenActionDeps): AnyAction[] {
  return [createTokenRotateAction(deps), createTokenRollbackAction(deps)];
}
