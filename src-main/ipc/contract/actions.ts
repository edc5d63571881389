import { z } from 'zod';
import { id } from '../../app/views/common-schema';
import { actionInfo, confirmationToken, paramValues, plan } from '../../app/views/run-schema';
import { call, empty } from './call';

export const actionsInvoke = {
  'actions.list': call(empty, z.object({ actions: z.array(actionInfo) })),
  /**
   * Validates the parameters and works out the plan: the dry run and the confirm dialog's facts, with the
   * one-time confirmation of this plan when it disrupts the service.
   */
  'actions.plan': call(z.object({ actionId: id, params: paramValues }).strict(), plan),
  /**
   * Disruptive and outage runs are refused (ConfirmationRequired) without the confirmation actions.plan
   * issued for exactly this plan, which the dialog hands back once the user accepted it; safe runs pass null.
   */
  'actions.run': call(
    z.object({ actionId: id, params: paramValues, confirmation: confirmationToken.nullable() }).strict(),
    z.object({ runId: id }),
  ),
} as const;
