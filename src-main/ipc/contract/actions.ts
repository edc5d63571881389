import { z } from 'zod';
import { id } from '../../app/views/common-schema';
import { actionInfo, paramValues, plan } from '../../app/views/run-schema';
import { call, empty } from './call';

export const actionsInvoke = {
  'actions.list': call(empty, z.object({ actions: z.array(actionInfo) })),
  /** Validates the parameters and works out the plan: the dry run and the confirm dialog's facts. */
  'actions.plan': call(z.object({ actionId: id, params: paramValues }).strict(), plan),
  /** Disruptive and outage runs are refused (ConfirmationRequired) unless `confirmed`: the dialog was accepted. */
  'actions.run': call(
    z.object({ actionId: id, params: paramValues, confirmed: z.boolean() }).strict(),
    z.object({ runId: id }),
  ),
} as const;
