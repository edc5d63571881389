import { useEffect } from 'react';
import type { Check, CheckHost, HostState } from '../../../src-main/ipc/contract';
import { ErrorText } from '../components/error-text';
import { HostKeyChanged } from '../components/host-key-changed';
import { LevelBadge } from '../components/level-badge';
import { CARD_ORDER, clockTime, duration, HOST_TITLE, LEVEL_TEXT, ms, worstLevel } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useApp } from '../store/store';

function overallSentence(checks: Check[]): string {
  const failing = checks.filter((c) => c.level === 'fail').length;
  const warning = checks.filter((c) => c.level === 'warn').length;
  const unknown = checks.filter((c) => c.level === 'unknown').length;
  const maintenance = checks.filter((c) => c.level === 'maintenance').length;
  if (checks.length === 0) return 'No checks have run yet.';
  const parts: string[] = [];
  if (failing) parts.push(`${failing} failing`);
  if (warning) parts.push(`${warning} with a warning`);
  if (unknown) parts.push(`${unknown} unknown`);
  if (maintenance) parts.push(`${maintenance} in maintenance`);
  if (parts.length === 0) return `All ${checks.length} checks are OK.`;
  return `${parts.join(', ')} of ${checks.length} checks.`.replace(/^./, (c) => c.toUpperCase());
}

function groupChecks(checks: Check[]): [string, Check[]][] {
  const groups = new Map<string, Check[]>();
  for (const c of checks) {
    const list = groups.get(c.group);
    if (list) list.push(c);
    else groups.set(c.group, [c]);
  }
  return [...groups];
}

function CheckRow({ check, now, focused }: { check: Check; now: number; focused: boolean }) {
  const underlying =
    check.underlying && check.underlying !== check.level
      ? `${check.level === 'maintenance' ? 'measured' : 'last known'}: ${LEVEL_TEXT[check.underlying]}`
      : null;
  return (
    <li
      id={`check-${check.id}`}
      className={focused ? 'check check-focused' : 'check'}
      data-testid={`check-${check.id}`}
    >
      <LevelBadge level={check.level} />
      <div className="check-body">
        <span className="check-title">{check.title}</span>
        <span className="check-detail">{check.detail}</span>
      </div>
      <span className="check-meta">
        {check.alert === 'pending' && <span className="tag tag-pending">retrying before alert</span>}
        {check.alert === 'down' && <span className="tag tag-down">alerted</span>}
        {underlying && <span className="tag">{underlying}</span>}
        <span className="since">
          since {clockTime(check.since)} ({duration(now - ms(check.since))})
        </span>
      </span>
    </li>
  );
}

function HostCard({
  host,
  state,
  checks,
  now,
  focusCheck,
}: {
  host: CheckHost;
  state: HostState | undefined;
  checks: Check[];
  now: number;
  focusCheck: string | null;
}) {
  const unreachable = state?.reachable === false;
  const level = unreachable ? 'fail' : worstLevel(checks.map((c) => c.level));
  const titleId = `card-${host}`;
  return (
    <article className="card" aria-labelledby={titleId} data-testid={`card-${host}`}>
      <header className="card-header">
        <h2 id={titleId}>{HOST_TITLE[host]}</h2>
        {state && <span className="card-target">{state.target}</span>}
        <LevelBadge level={level} />
      </header>
      {unreachable && state.error && <ErrorText error={state.error} live={false} />}
      {unreachable && state.error?.code === 'HostKeyChanged' && host !== 'public' && (
        <HostKeyChanged host={host} error={state.error} />
      )}
      {unreachable && state.nextAttemptAt && (
        <p className="muted small">Tried again at {clockTime(state.nextAttemptAt)} (or now, with Refresh).</p>
      )}
      {groupChecks(checks).map(([group, list]) => (
        <section key={group} className="check-group" aria-label={`${HOST_TITLE[host]}: ${group}`}>
          <h3>{group}</h3>
          <ul className="checks">
            {list.map((c) => (
              <CheckRow key={c.id} check={c} now={now} focused={focusCheck === c.id} />
            ))}
          </ul>
        </section>
      ))}
      {checks.length === 0 && !unreachable && <p className="muted">No checks for this host.</p>}
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
        <strong>Maintenance mode.</strong> {maintenance.reason ?? 'The stack is stopped for maintenance.'}
        {maintenance.since !== null && ` Since ${clockTime(maintenance.since)}.`} Alerts for the stopped units
        are held back.
      </div>
      <button
        type="button"
        className="primary"
        disabled={busy !== null}
        onClick={() => void requestRun('stack.start', {})}
      >
        Start stack
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
            <strong>{a.title}.</strong> {a.message}
          </div>
          <button type="button" className="primary" onClick={() => void requestRun(a.fixActionId, {})}>
            {catalog?.find((c) => c.id === a.fixActionId)?.title ?? a.fixActionId}
          </button>
        </div>
      ))}
    </>
  );
}

export function Dashboard() {
  const status = useApp((s) => s.status);
  const statusError = useApp((s) => s.statusError);
  const focus = useApp((s) => s.focus);
  const now = useNow(5000);
  const focusCheck = focus?.panel === 'dashboard' ? (focus.checkId ?? null) : null;

  useEffect(() => {
    if (focusCheck) document.getElementById(`check-${focusCheck}`)?.scrollIntoView?.({ block: 'center' });
  }, [focusCheck]);

  if (!status) {
    return (
      <section className="panel" aria-labelledby="dash-title">
        <h1 id="dash-title">Dashboard</h1>
        {statusError ? <ErrorText error={statusError} /> : <p role="status">Checking the server…</p>}
      </section>
    );
  }

  const hosts = CARD_ORDER.filter(
    (h) => status.hosts.some((s) => s.host === h) || status.checks.some((c) => c.host === h),
  );
  return (
    <section className="panel" aria-labelledby="dash-title">
      <header className={`overall overall-${status.overall}`}>
        <h1 id="dash-title">{status.serverName}</h1>
        <LevelBadge level={status.overall} />
        <p className="overall-sentence" data-testid="overall-sentence">
          {overallSentence(status.checks)}
        </p>
      </header>
      <StickyAlerts />
      <MaintenanceBanner />
      {statusError && <ErrorText error={statusError} />}
      {status.error && <ErrorText error={status.error} />}
      <div className="cards">
        {hosts.map((h) => (
          <HostCard
            key={h}
            host={h}
            state={status.hosts.find((s) => s.host === h)}
            checks={status.checks.filter((c) => c.host === h)}
            now={now}
            focusCheck={focusCheck}
          />
        ))}
      </div>
    </section>
  );
}
