import { useEffect, useMemo, useState } from 'react';
import type { ActionInfo, Check, HostState, StatusSnapshot } from '../../../src-main/ipc/contract';
import { ErrorText } from '../components/error-text';
import { HostKeyChanged } from '../components/host-key-changed';
import { LevelBadge } from '../components/level-badge';
import { Words } from '../components/words';
import {
  dashboardModel,
  type Fold,
  type FoldKey,
  foldKeyOf,
  type Problem,
  UNIT_NAMES,
  type UnitRow,
} from '../lib/dashboard-model';
import { clockTime, duration, HOST_TITLE, LEVEL_TEXT, ms } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useApp } from '../store/store';

function Since({ iso, now }: { iso: string; now: number }) {
  return (
    <span className="since">
      since {clockTime(iso)} ({duration(now - ms(iso))})
    </span>
  );
}

function AlertTag({ alert }: { alert: Check['alert'] | null }) {
  if (alert === 'pending') return <span className="tag tag-pending">checking again before alerting</span>;
  if (alert === 'down') return <span className="tag tag-down">alert sent</span>;
  return null;
}

/** Under maintenance (or a stale unknown), what was really measured, in one tag. */
function Underlying({ check }: { check: Check }) {
  if (!check.underlying || check.underlying === check.level) return null;
  const what = check.level === 'maintenance' ? 'measured' : 'last known';
  return (
    <span className="tag">
      {what}: {LEVEL_TEXT[check.underlying]}
    </span>
  );
}

/** The full sentence of a check and when it got there: what opening a row shows. */
function CheckMore({ check, now }: { check: Check; now: number }) {
  return (
    <div className="check-more">
      <p className="check-detail">
        <Words text={check.detail} />
      </p>
      <p className="check-meta">
        <AlertTag alert={check.alert} />
        <Underlying check={check} />
        <Since iso={check.since} now={now} />
      </p>
    </div>
  );
}

function ProblemCard({
  problem,
  now,
  focused,
  busy,
}: {
  problem: Problem;
  now: number;
  focused: boolean;
  busy: boolean;
}) {
  const requestRun = useApp((s) => s.requestRun);
  const navigate = useApp((s) => s.navigate);
  const refresh = useApp((s) => s.refreshStatus);
  const refreshing = useApp((s) => s.refreshing);
  const titleId = `problem-${problem.key}-title`;
  const hostDown = problem.key.startsWith('host:');
  const others = problem.checks.length - 1;
  return (
    <article
      id={`problem-${problem.key}`}
      className={`problem problem-${problem.level}${focused ? ' problem-focused' : ''}`}
      aria-labelledby={titleId}
      data-testid={`problem-${problem.key}`}
    >
      <header className="problem-head">
        <LevelBadge level={problem.level} />
        <h3 id={titleId}>{problem.headline}</h3>
        <span className="problem-where">{HOST_TITLE[problem.host]}</span>
      </header>
      <p className="problem-sentence">
        <Words text={problem.sentence} />
      </p>
      {problem.nextStep && (
        <p className="problem-next">
          <Words text={problem.nextStep} />
        </p>
      )}
      {problem.waiting > 0 && (
        <p className="muted small">
          {problem.waiting === 1
            ? '1 check on it waits until it answers again.'
            : `${problem.waiting} checks on it wait until it answers again.`}
        </p>
      )}
      {problem.hostError?.code === 'HostKeyChanged' && problem.host !== 'public' && (
        <HostKeyChanged host={problem.host} error={problem.hostError} />
      )}
      <div className="problem-actions">
        {problem.fix && (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() => problem.fix && void requestRun(problem.fix.actionId, problem.fix.params)}
          >
            {problem.fix.label}
          </button>
        )}
        {hostDown && (
          <button type="button" disabled={refreshing} onClick={() => void refresh()}>
            Check again
          </button>
        )}
        {problem.logsUnit && (
          <button
            type="button"
            onClick={() => navigate({ panel: 'logs', unit: problem.logsUnit ?? undefined })}
          >
            Open its log
          </button>
        )}
        <span className="problem-meta">
          <AlertTag alert={problem.alert} />
          {problem.since && <Since iso={problem.since} now={now} />}
        </span>
      </div>
      {others > 0 && (
        <details className="problem-details">
          <summary className="disclosure">
            Details: {others === 1 ? '1 more check' : `${others} more checks`} about this
          </summary>
          <ul className="plain-list">
            {problem.checks.slice(1).map((c) => (
              <li key={c.id} className="problem-check">
                <LevelBadge level={c.level} /> <strong>{c.title}</strong>{' '}
                <span className="muted">
                  <Words text={c.detail} />
                </span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </article>
  );
}

export function MaintenanceBanner() {
  const maintenance = useApp((s) => s.status?.maintenance);
  const requestRun = useApp((s) => s.requestRun);
  const busy = useApp((s) => s.status?.busy ?? null);
  if (!maintenance?.on) return null;
  return (
    <div className="banner banner-maintenance" role="status" aria-label="Maintenance">
      <span className="badge-glyph" aria-hidden="true">
        ‖
      </span>
      <div>
        <strong>Stopped for maintenance</strong>
        {maintenance.since !== null && ` since ${clockTime(maintenance.since)}`}. Matrix is down for everyone
        until you start it again; no alerts about the stopped services meanwhile.
      </div>
      <button
        type="button"
        className="primary"
        disabled={busy !== null}
        onClick={() => void requestRun('stack.start', {})}
      >
        Start all services
      </button>
    </div>
  );
}

/** Alerts a run left behind until fixed (e.g. Tuwunel could not be started again), each with its fix. */
function StickyAlerts() {
  const alerts = useApp((s) => s.status?.stickyAlerts);
  const catalog = useApp((s) => s.catalog);
  const requestRun = useApp((s) => s.requestRun);
  if (!alerts?.length) return null;
  return (
    <>
      {alerts.map((a) => (
        <div key={a.id} className="banner banner-alert" role="alert">
          <span className="badge-glyph" aria-hidden="true">
            ✕
          </span>
          <div>
            <strong>{a.title}.</strong> <Words text={a.message} />
          </div>
          <button type="button" className="primary" onClick={() => void requestRun(a.fixActionId, {})}>
            {catalog?.find((c) => c.id === a.fixActionId)?.title ?? a.fixActionId}
          </button>
        </div>
      ))}
    </>
  );
}

/** A check in a fold: one line (its sentence cut to fit, whole in the tooltip); opening it shows the rest. */
function CheckRow({ check, now, focused }: { check: Check; now: number; focused: boolean }) {
  // Under maintenance the sentence starts with the banner's news: the tag says what was measured instead.
  const line = check.level === 'maintenance' ? null : check.detail;
  return (
    <li
      id={`check-${check.id}`}
      className={focused ? 'check-row check-focused' : 'check-row'}
      data-testid={`check-${check.id}`}
    >
      <details open={focused || undefined}>
        <summary className="disclosure">
          <LevelBadge level={check.level} />
          <span className="row-title">{check.title}</span>
          {line ? (
            <span className="row-line" title={line}>
              {line}
            </span>
          ) : (
            <span className="row-line">
              <Underlying check={check} />
            </span>
          )}
        </summary>
        <CheckMore check={check} now={now} />
      </details>
    </li>
  );
}

function UnitBadge({ label, check }: { label: string; check: Check | null }) {
  if (!check) return <span className="unit-badge muted">no {label}</span>;
  return (
    <span className="unit-badge" data-testid={`check-${check.id}`} title={check.detail}>
      <span className="unit-badge-label">{label}</span>
      <LevelBadge level={check.level} />
    </span>
  );
}

function UnitLine({ row, now, focused }: { row: UnitRow; now: number; focused: boolean }) {
  const role = UNIT_NAMES[row.unit]?.role;
  const checks = [row.unitCheck, row.container].filter((c): c is Check => c !== null);
  return (
    <li id={`unit-${row.unit}`} className={focused ? 'unit-row check-focused' : 'unit-row'}>
      <details open={focused || undefined}>
        <summary className="disclosure">
          <span className="unit-name">
            <span className="mono">{row.unit}</span>
            {role && <span className="unit-role">{role}</span>}
          </span>
          <UnitBadge label="unit" check={row.unitCheck} />
          <UnitBadge label="container" check={row.container} />
        </summary>
        {checks.map((c) => (
          <CheckMore key={c.id} check={c} now={now} />
        ))}
      </details>
    </li>
  );
}

function Targets({ hosts, fold }: { hosts: HostState[]; fold: FoldKey }) {
  const shown = hosts.filter((h) =>
    fold === 'connections' ? h.host !== 'public' : fold === 'endpoints' && h.host === 'public',
  );
  if (shown.length === 0) return null;
  return (
    <dl className="targets">
      {shown.map((h) => (
        <div key={h.host}>
          <dt>{HOST_TITLE[h.host]}</dt>
          <dd className="mono">
            <Words text={h.target} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

function FoldView({
  fold,
  open,
  onToggle,
  now,
  focusCheck,
  hosts,
}: {
  fold: Fold;
  open: boolean;
  onToggle: (open: boolean) => void;
  now: number;
  focusCheck: string | null;
  hosts: HostState[];
}) {
  return (
    <details
      className={`fold fold-${fold.level}`}
      open={open}
      onToggle={(e) => onToggle(e.currentTarget.open)}
      data-testid={`check-group-${fold.key}`}
    >
      <summary className="fold-line disclosure">
        <LevelBadge level={fold.level} />
        <span className="fold-summary" title={fold.summary}>
          {fold.summary}
        </span>
        <span className="fold-count">
          {fold.checks.length === 1 ? '1 check' : `${fold.checks.length} checks`}
        </span>
      </summary>
      <div className="fold-body">
        <Targets hosts={hosts} fold={fold.key} />
        {fold.key === 'services' ? (
          <ul className="rows">
            {fold.units.map((r) => (
              <UnitLine
                key={r.unit}
                row={r}
                now={now}
                focused={focusCheck === `unit:${r.unit}` || focusCheck === `container:${r.unit}`}
              />
            ))}
          </ul>
        ) : (
          <ul className="rows">
            {fold.checks.map((c) => (
              <CheckRow key={c.id} check={c} now={now} focused={focusCheck === c.id} />
            ))}
          </ul>
        )}
      </div>
    </details>
  );
}

function Overview({ status }: { status: StatusSnapshot }) {
  const catalog = useApp((s) => s.catalog ?? NO_ACTIONS);
  const units = useApp(
    (s) => s.profiles?.profiles.find((p) => p.id === s.profiles?.selectedId)?.units ?? EMPTY,
  );
  const focus = useApp((s) => s.focus);
  const busy = useApp((s) => (s.status?.busy ?? null) !== null);
  const now = useNow(5000);
  const model = useMemo(() => dashboardModel(status, catalog, units), [status, catalog, units]);
  const focusCheck = focus?.panel === 'dashboard' ? (focus.checkId ?? null) : null;
  const focusedProblem = focusCheck
    ? model.problems.find((p) => p.checks.some((c) => c.id === focusCheck))
    : null;
  const [open, setOpen] = useState<ReadonlySet<FoldKey>>(new Set());

  useEffect(() => {
    if (!focusCheck) return;
    const check = status.checks.find((c) => c.id === focusCheck);
    if (check && !focusedProblem) setOpen((o) => new Set(o).add(foldKeyOf(check)));
    const target = focusedProblem
      ? `problem-${focusedProblem.key}`
      : check && foldKeyOf(check) === 'services'
        ? `unit-${check.group}`
        : `check-${focusCheck}`;
    document.getElementById(target)?.scrollIntoView?.({ block: 'center' });
  }, [focusCheck, focusedProblem, status.checks]);

  return (
    <>
      <header className={`overall overall-${status.overall}`}>
        <h1 id="dash-title">{status.serverName}</h1>
        <LevelBadge level={status.overall} />
        <p className="overall-sentence" data-testid="overall-sentence">
          {model.sentence}
        </p>
      </header>
      <MaintenanceBanner />
      {(model.problems.length > 0 || status.stickyAlerts.length > 0) && (
        <section className="problems" aria-labelledby="problems-title">
          <h2 id="problems-title">Needs your attention</h2>
          <StickyAlerts />
          {model.problems.map((p) => (
            <ProblemCard key={p.key} problem={p} now={now} focused={focusedProblem === p} busy={busy} />
          ))}
        </section>
      )}
      <section className="folds" aria-labelledby="folds-title">
        <h2 id="folds-title">{model.problems.length > 0 ? 'Everything else' : 'Your server'}</h2>
        {model.folds.map((f) => (
          <FoldView
            key={f.key}
            fold={f}
            open={open.has(f.key)}
            onToggle={(isOpen) =>
              setOpen((o) => {
                if (isOpen === o.has(f.key)) return o;
                const next = new Set(o);
                if (isOpen) next.add(f.key);
                else next.delete(f.key);
                return next;
              })
            }
            now={now}
            focusCheck={focusCheck}
            hosts={status.hosts}
          />
        ))}
      </section>
    </>
  );
}

const EMPTY: readonly string[] = [];
const NO_ACTIONS: readonly ActionInfo[] = [];

export function Dashboard() {
  const status = useApp((s) => s.status);
  const statusError = useApp((s) => s.statusError);
  return (
    <section className="panel dashboard" aria-labelledby="dash-title">
      {status ? (
        <>
          {statusError && <ErrorText error={statusError} />}
          {status.error && <ErrorText error={status.error} />}
          <Overview status={status} />
        </>
      ) : (
        <>
          <h1 id="dash-title">Dashboard</h1>
          {statusError ? <ErrorText error={statusError} /> : <p role="status">Checking the server…</p>}
        </>
      )}
    </section>
  );
}
