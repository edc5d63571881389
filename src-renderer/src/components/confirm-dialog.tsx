import { HOST_TITLE } from '../lib/format';
import { useApp } from '../store/store';
import { DangerTag } from './danger-tag';
import { Dialog } from './dialog';

/** The confirm step of disruptive and outage actions: the plan's own sentence, the downtime, the route. */
export function ConfirmDialog() {
  const pending = useApp((s) => s.pendingConfirm);
  const confirm = useApp((s) => s.confirmRun);
  const cancel = useApp((s) => s.cancelConfirm);
  if (!pending) return null;
  const { action, plan } = pending;
  return (
    <Dialog title={`${action.title}?`} onCancel={cancel} alert>
      <p className="effect">{plan.confirm}</p>
      <dl className="facts">
        <dt>Impact</dt>
        <dd>
          <DangerTag danger={plan.danger} />
        </dd>
        <dt>Expected downtime</dt>
        <dd>{plan.downtime ?? 'none'}</dd>
        <dt>Runs on</dt>
        <dd>{HOST_TITLE[action.host]}</dd>
        {plan.route && (
          <>
            <dt>Route</dt>
            <dd>
              {plan.route === 'admin-room'
                ? 'the admin room (Tuwunel keeps running)'
                : 'Tuwunel’s CLI mode (Tuwunel is stopped)'}
            </dd>
          </>
        )}
      </dl>
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
