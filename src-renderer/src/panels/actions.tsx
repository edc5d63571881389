import type { ActionInfo, PlannedStep } from '../../../src-main/ipc/contract';
import { DangerTag } from '../components/danger-tag';
import { Dialog } from '../components/dialog';
import { ErrorText } from '../components/error-text';
import { GROUP_ORDER, HOST_TITLE } from '../lib/format';
import { useApp } from '../store/store';
import { ParamForm } from './param-form';

function ActionCard({ action, focused }: { action: ActionInfo; focused: boolean }) {
  const titleId = `action-${action.id}`;
  const tokenMissing = useApp(
    (s) =>
      action.requiresAdminToken &&
      s.secrets?.some((x) => x.kind === 'matrix-admin-token' && !x.stored) === true,
  );
  return (
    <article className={focused ? 'action action-focused' : 'action'} aria-labelledby={titleId}>
      <header className="action-header">
        <h3 id={titleId}>{action.title}</h3>
        {action.danger ? (
          <DangerTag danger={action.danger} />
        ) : (
          <span className="muted small">Impact: per request</span>
        )}
      </header>
      <p className="action-description">{action.description}</p>
      <p className="action-facts">
        <span>On the {HOST_TITLE[action.host].toLowerCase()}</span>
        <span>{action.downtime ? `Downtime: ${action.downtime}` : 'No downtime'}</span>
      </p>
      {tokenMissing && (
        <p className="field-help">Needs the Matrix admin access token (Settings → Secrets).</p>
      )}
      <ParamForm action={action} />
    </article>
  );
}

function stepWhere(step: PlannedStep): string {
  const parts = [step.host ? `on the ${HOST_TITLE[step.host].toLowerCase()}` : KIND_TEXT[step.kind]];
  if (step.sudo) parts.push('with sudo');
  if (step.stdin) parts.push(`stdin: ${step.stdin}`);
  if (step.timeoutMs !== null) parts.push(`stopped after ${Math.round(step.timeoutMs / 1000)} s`);
  return parts.join(', ');
}

const KIND_TEXT: Record<PlannedStep['kind'], string> = {
  remote: 'remote',
  'http-wait': 'from this computer',
  'admin-room': 'in the admin room',
  local: 'on this computer',
};

function DryRunDialog() {
  const view = useApp((s) => s.dryRunView);
  const close = useApp((s) => s.closeDryRun);
  const action = useApp((s) => (view ? s.catalog?.find((a) => a.id === view.actionId) : undefined));
  if (!view) return null;
  return (
    <Dialog title={`Dry run: ${action?.title ?? view.actionId}`} onCancel={close} wide>
      {!view.plan && !view.error && <p role="status">Working out the plan…</p>}
      {view.error && <ErrorText error={view.error} />}
      {view.plan && (
        <>
          <p className="effect">{view.plan.confirm}</p>
          <p className="muted">
            Nothing is sent. These are the exact steps, in order, with secrets masked
            {view.plan.downtime ? `; expected downtime: ${view.plan.downtime}` : ''}.
          </p>
          <ol className="dry-run-steps">
            {view.plan.steps.map((step) => (
              <li key={step.id}>
                <div className="step-head">
                  <strong>{step.title}</strong> <span className="muted">{stepWhere(step)}</span>
                  {step.phase === 'finally' && <span className="tag">always runs</span>}
                </div>
                <pre className="command">
                  <code>{step.command}</code>
                </pre>
              </li>
            ))}
          </ol>
        </>
      )}
      <div className="button-row">
        <button type="button" onClick={close} data-autofocus>
          Close
        </button>
      </div>
    </Dialog>
  );
}

export function ActionsPanel() {
  const catalog = useApp((s) => s.catalog);
  const catalogError = useApp((s) => s.catalogError);
  const focusAction = useApp((s) => (s.focus?.panel === 'actions' ? (s.focus.actionId ?? null) : null));
  return (
    <section className="panel" aria-labelledby="actions-title">
      <h1 id="actions-title">Actions</h1>
      {catalogError && <ErrorText error={catalogError} />}
      {!catalog && !catalogError && <p role="status">Loading the actions…</p>}
      {catalog &&
        GROUP_ORDER.map((group) => {
          // Following a unit's journal is the Logs panel's job, not a run.
          const actions = catalog.filter((a) => a.group === group && a.id !== 'logs.follow');
          if (actions.length === 0) return null;
          return (
            <section key={group} className="action-group" aria-labelledby={`group-${group}`}>
              <h2 id={`group-${group}`}>{group}</h2>
              <div className="action-list">
                {actions.map((a) => (
                  <ActionCard key={a.id} action={a} focused={focusAction === a.id} />
                ))}
              </div>
            </section>
          );
        })}
      <DryRunDialog />
    </section>
  );
}
