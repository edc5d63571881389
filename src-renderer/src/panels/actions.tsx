import type { ActionInfo } from '../../../src-main/ipc/contract';
import { DangerTag } from '../components/danger-tag';
import { Dialog } from '../components/dialog';
import { ErrorText } from '../components/error-text';
import { PlanSteps } from '../components/plan-steps';
import { downtimeLine } from '../lib/downtime';
import { GROUP_ORDER, GROUP_TITLE, HOST_TITLE } from '../lib/format';
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
          <span className="muted small">Depends on what you ask</span>
        )}
      </header>
      <p className="action-effect">{downtimeLine(action.downtime)}</p>
      {tokenMissing && (
        <p className="field-help">Needs the Matrix admin sign-in first (Settings → Secrets).</p>
      )}
      <ParamForm
        action={action}
        details={
          <>
            <p className="action-description">{action.description}</p>
            <p className="muted small">Runs on the {HOST_TITLE[action.host].toLowerCase()}.</p>
          </>
        }
      />
    </article>
  );
}

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
            Nothing was sent to the server. These are the exact steps it would take, in order, with passwords
            masked{view.plan.downtime ? `. ${downtimeLine(view.plan.downtime)}` : ''}.
          </p>
          <PlanSteps steps={view.plan.steps} />
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

/** Offered where they belong: a journal in the Logs panel, the rollback by the failed rotation it undoes. */
const NOT_LISTED = new Set(['logs.follow', 'token.rollback']);

export function ActionsPanel() {
  const catalog = useApp((s) => s.catalog);
  const catalogError = useApp((s) => s.catalogError);
  const focusAction = useApp((s) => (s.focus?.panel === 'actions' ? (s.focus.actionId ?? null) : null));
  return (
    <section className="panel" aria-labelledby="actions-title">
      <h1 id="actions-title">Actions</h1>
      <p className="muted panel-intro">
        What you can do to your server. Each one says whether the people using it will notice; the ones that
        interrupt Matrix ask you first.
      </p>
      {catalogError && <ErrorText error={catalogError} />}
      {!catalog && !catalogError && <p role="status">Loading the actions…</p>}
      {catalog &&
        GROUP_ORDER.map((group) => {
          const actions = catalog.filter((a) => a.group === group && !NOT_LISTED.has(a.id));
          if (actions.length === 0) return null;
          return (
            <section key={group} className="action-group" aria-labelledby={`group-${group}`}>
              <h2 id={`group-${group}`}>{GROUP_TITLE[group].title}</h2>
              <p className="muted small group-help">{GROUP_TITLE[group].help}</p>
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
