import { canSendServerNotices } from '../matrix/server-notices';
import { flagParam } from './params';
import type { LocalStep, PlanContext, StepContext } from './types';

/**
 * The choreography of a planned stop (stack.stop, config.apply, the upgrade): people are told before it
 * (an optional server notice), alerts are held while it lasts (the action's maintenance window, or
 * maintenance mode), and they are told when it is back. One step shape for both notices.
 */

/** `notify=true`: tell every local user before the stop and once it is back. */
export const notifyParam = flagParam(false).describe(
  'Send every local user a server notice before the stop and when Matrix is back (needs the Matrix admin token and Tuwunel 1.8.2 or later)',
);

export interface NotifyParams {
  notify: boolean;
}

interface NoticeSpec<P, S extends object> {
  id: string;
  title: string;
  /** The release that will deliver the notice (the running one before, the new one after an upgrade). */
  version: (ctx: PlanContext<P, S>) => string;
  text: (ctx: PlanContext<P, S>) => string;
  /** Sent even when the parameter did not ask (the upgrade always announces). */
  always?: boolean;
  needless?: (ctx: StepContext<P, S>) => string | null;
}

/** A server notice as a step: a failure to deliver is said in the output, never a failed run. */
export function noticeStep<P extends Partial<NotifyParams>, S extends object>(
  spec: NoticeSpec<P, S>,
): LocalStep<P, S> {
  return {
    kind: 'local',
    id: spec.id,
    title: spec.title,
    when: (ctx) => spec.always === true || ctx.params.notify === true,
    describe: (ctx) =>
      canSendServerNotices(spec.version(ctx))
        ? `Server notice to every local user (admin API send_server_notice): "${spec.text(ctx)}"`
        : `No server notice: Tuwunel ${spec.version(ctx)} cannot send one (1.8.2 can).`,
    ...(spec.needless ? { needless: spec.needless } : {}),
    run: async (ctx) => {
      const version = spec.version(ctx);
      if (!canSendServerNotices(version))
        return { ok: true, summary: `Tuwunel ${version} cannot send server notices (1.8.2 can); none sent.` };
      const outcome = await ctx.serverNotice(spec.text(ctx));
      if (outcome === null)
        return {
          ok: true,
          summary: 'No Matrix admin access token is stored, so no notice was sent (admin login stores one).',
        };
      if (outcome.problem) ctx.print(`Not every notice was delivered: ${outcome.problem}`);
      const people = `${outcome.sent} ${outcome.sent === 1 ? 'person' : 'people'}`;
      return {
        ok: true,
        summary:
          outcome.failed === 0 && outcome.problem === null
            ? `Notice sent to ${people}.`
            : `Notice sent to ${people}; ${outcome.failed > 0 ? `${outcome.failed} could not be reached` : 'the users could not be listed'}.`,
      };
    },
  };
}

const server = (ctx: PlanContext<unknown, object>) => ctx.profile.serverName;

/** Before a stop: what goes away, why, and for how long. */
export function beforeStopText(ctx: PlanContext<unknown, object>, why: string, howLong: string): string {
  return `Maintenance on ${server(ctx)}: ${why}. Matrix is unavailable ${howLong}; messages sent meanwhile arrive once it is back.`;
}

/** After: it is back. */
export function backText(ctx: PlanContext<unknown, object>, what: string): string {
  return `${server(ctx)} is back: ${what}. Thank you for your patience.`;
}
