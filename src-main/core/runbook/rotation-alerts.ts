import { expandHome } from '../profile/load';
import type { Profile } from '../profile/schema';
import { type GitRunner, systemGit } from '../vault/git';
import { notLiveSentence, readRotationState } from '../vault/rotation-lock';
import { hostLabel } from './host-label';
import type { PlanContext, StepAlert } from './types';

/**
 * What the token rotation's actions (token-actions.ts) and the rest of the catalog both know about the
 * rotation: its action and alert ids, and the "pushed but not applied" alert, which token.rotate and
 * token.apply raise and every configuration apply clears. Neither side imports the other for it.
 */

/** The token actions' ids and token.apply's title (token-actions.ts builds them): alerts and fronts name them. */
export const TOKEN_ROTATE_ACTION = 'token.rotate';
export const TOKEN_APPLY_ACTION = 'token.apply';
export const TOKEN_ROLLBACK_ACTION = 'token.rollback';
export const TOKEN_APPLY_TITLE = 'Make the new sign-up token live';

export const ROTATION_UNAPPLIED_ALERT = 'token-rotation-unapplied';
export const ROTATION_UNPUSHED_ALERT = 'token-rotation-unpushed';

/**
 * After a rotation's push, the vault here and on the remote holds the new token while Tuwunel accepts
 * only the old one until the configuration is applied: the Tokens panel would hand out a refused token.
 * token.apply fixes both cases (pulling again is harmless). After a failed pull, an apply alone would
 * apply the old token again, so only the actions that pull may clear it then.
 */
export function rotationUnappliedAlert(
  ctx: Pick<PlanContext<unknown, object>, 'profile'>,
  failedAt: 'pull' | 'apply',
): StepAlert {
  const checkout = ctx.profile.vault?.deployCheckout ?? 'the vault checkout';
  const stale =
    'Tuwunel still accepts only the old token, while copying the token (which reads the vault on this computer) hands out the new one';
  const alert = {
    id: ROTATION_UNAPPLIED_ALERT,
    title: 'The new registration token is pushed but not applied',
    fixActionId: TOKEN_APPLY_ACTION,
  };
  if (failedAt === 'apply')
    return {
      ...alert,
      message: `The new registration token is pushed but not applied: ${stale}. Run "${TOKEN_APPLY_TITLE}" to make it live.`,
    };
  return {
    ...alert,
    message: `The new registration token is pushed but not applied, and ${checkout} on ${hostLabel(ctx.profile, ctx.profile.deploy.host)} may not have it yet: ${stale}. Run "${TOKEN_APPLY_TITLE}": it pulls ${checkout} there, then applies the configuration.`,
    clearedOnlyBy: [TOKEN_APPLY_ACTION, TOKEN_ROTATE_ACTION],
  };
}

/** A rotation changed the vault here and stopped before its push (token.rollback puts it back). */
export function rotationUnpushedAlert(profile: Profile): StepAlert {
  return {
    id: ROTATION_UNPUSHED_ALERT,
    title: 'A token rotation stopped before it was pushed',
    message: `The vault in ${profile.vault?.repo ?? 'the vault repository'} was changed by a rotation that did not finish; nothing left this computer. Roll it back (or rotate again).`,
    fixActionId: TOKEN_ROLLBACK_ACTION,
  };
}

/**
 * What every front says beside the registration token when the vault holds a rotated one Tuwunel does not
 * accept yet (the rotation journal says pushed or pulled, not applied); null when the journal knows of none.
 * Read from the journal, so a rotation that failed or was killed in another process counts too.
 */
export async function rotatedTokenNotLive(
  profile: Profile,
  git: GitRunner = systemGit,
): Promise<string | null> {
  if (!profile.vault) return null;
  try {
    return notLiveSentence(await readRotationState(expandHome(profile.vault.repo), git), TOKEN_APPLY_TITLE);
  } catch {
    // No git checkout of the vault here: no rotation was made from this computer.
    return null;
  }
}
