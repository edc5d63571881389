import { downtimeLine } from '../lib/downtime';
import { RESTART_NOTICE } from '../lib/notice-text';
import { useApp } from '../store/store';
import { DangerTag } from './danger-tag';
import { Dialog } from './dialog';
import { PlanSteps } from './plan-steps';

const ROUTE_TEXT = {
  'admin-api': 'Through the admin API: Tuwunel keeps running.',
  'admin-room': 'Sent to the admin room: Tuwunel keeps running.',
  cli: 'Tuwunel is stopped for the command and started again right after.',
} as const;

/** Actions whose downtime everyone notices: the dialog offers a server notice with a ready text first. */
const TELL_EVERYONE = new Set(['stack.stop', 'config.apply']);

/**
 * The confirm step of actions that interrupt Matrix: the plan's own sentence for exactly these parameters,
 * what the people using the server notice, and — for whoever wants them — the exact steps.
 */
export function ConfirmDialog() {
  const pending = useApp((s) => s.pendingConfirm);
  const confirm = useApp((s) => s.confirmRun);
  const cancel = useApp((s) => s.cancelConfirm);
  const navigate = useApp((s) => s.navigate);
  if (!pending) return null;
  const { action, plan } = pending;
  return (
    <Dialog title={`${action.title}?`} onCancel={cancel} alert>
      <p className="effect">{plan.confirm}</p>
      <dl className="facts">
        <dt>For everyone on the server</dt>
        <dd>
          <DangerTag danger={plan.danger} />
          <br />
          {downtimeLine(plan.downtime)}
        </dd>
        {plan.route && (
          <>
            <dt>How</dt>
            <dd>
              {ROUTE_TEXT[plan.route]}
              {plan.routeWhy && (
                <>
                  <br />
                  {plan.routeWhy}
                </>
              )}
            </dd>
          </>
        )}
      </dl>
      {TELL_EVERYONE.has(action.id) && (
        <p className="muted">
          Tell everyone first?{' '}
          <button
            type="button"
            className="link-button"
            onClick={() => {
              cancel();
              navigate({ panel: 'people', focus: 'notice' });
            }}
          >
            Send a server notice…
          </button>{' '}
          (a ready text: “{RESTART_NOTICE}”; Tuwunel 1.8.2 on)
        </p>
      )}
      <details className="plan-details">
        <summary className="disclosure">Details: the exact steps</summary>
        <PlanSteps steps={plan.steps} />
      </details>
      <div className="button-row">
        <button type="button" className="danger-button" onClick={() => void confirm()}>
          {action.title}
        </button>
        <button type="button" onClick={cancel} data-autofocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
