import { adminApiUnusable, describeRelease } from '../matrix/server-facts';
import type { PlanContext, RouteChoice } from './types';

/**
 * How an admin command reaches Tuwunel, in the order of issue 12: the admin API (Tuwunel 1.8.1 on, when the
 * proxy routes it and the API can do what is asked), the admin room (any release), and only when neither can
 * work, Tuwunel's CLI on the stopped server (an outage). Both of the first need the stored admin sign-in.
 * `apiCannot` says why the admin API cannot do this command (a backup, say), as the end of a sentence.
 */
export function adminCommandRoute(ctx: PlanContext<unknown, object>, apiCannot: string | null): RouteChoice {
  if (!ctx.adminToken)
    return {
      via: 'cli',
      why: "No Matrix admin sign-in is stored, so neither the admin API nor the admin room can be used: Tuwunel's CLI runs it while Tuwunel is stopped (sign in as the admin in Settings to avoid the outage).",
    };
  if (ctx.server.unreachable)
    return {
      via: 'cli',
      why: `The homeserver did not answer (${ctx.server.unreachable}), so neither the admin API nor the admin room can reach it: Tuwunel's CLI runs it on the stopped server.`,
    };
  const api = apiCannot ?? adminApiUnusable(ctx.server);
  if (api === null)
    return { via: 'admin-api', why: `${describeRelease(ctx.server)} serves the admin API: no downtime.` };
  return { via: 'admin-room', why: `Through the admin room, with no downtime: ${api}.` };
}
