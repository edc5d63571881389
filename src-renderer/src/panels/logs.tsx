import { memo, useEffect, useMemo, useRef } from 'react';
import { ErrorText } from '../components/error-text';
import { VirtualList } from '../components/virtual-list';
import { useApp } from '../store/store';

const ROW_HEIGHT = 18;

/** Tuwunel and journald spell out the severity; the row repeats it as a class, never as colour alone. */
const SEVERITY = /\b(ERROR|CRIT|FATAL|PANIC|error|fatal|panic)\b|\b(WARN|WARNING|warn|warning)\b/;

/** Memoised: while paused, lines arriving underneath re-render the panel but leave the rows as they are. */
const LogRow = memo(function LogRow({ line }: { line: string | undefined }) {
  const m = line === undefined ? null : SEVERITY.exec(line);
  const cls = m ? (m[1] ? ' sev-err' : ' sev-warn') : '';
  return <div className={`log-row${cls}`}>{line ?? ''}</div>;
});

/** One formatter for the count that changes every frame (toLocaleString would build one each time). */
const NUMBER = new Intl.NumberFormat('en');

/** `journalctl -fu <unit>`, with 100 000 lines still scrolling smoothly: only the rows in view exist. */
export function LogsPanel() {
  const units = useApp(
    (s) => s.profiles?.profiles.find((p) => p.id === s.profiles?.selectedId)?.units ?? null,
  );
  const focusUnit = useApp((s) => (s.focus?.panel === 'logs' ? (s.focus.unit ?? null) : null));
  const buffer = useApp((s) => s.logBuffer);
  const version = useApp((s) => s.logVersion);
  const unit = useApp((s) => s.logUnit);
  const state = useApp((s) => s.logState);
  const paused = useApp((s) => s.logPaused);
  const filter = useApp((s) => s.logFilter);
  const error = useApp((s) => s.logError);
  const follow = useApp((s) => s.followLogs);
  const stop = useApp((s) => s.stopLogs);
  const setPaused = useApp((s) => s.setLogPaused);
  const setFilter = useApp((s) => s.setLogFilter);
  const frozen = useRef<number | null>(null);

  // Opening the panel follows the unit a notification pointed at, else the first one; leaving it stops.
  const firstUnit = focusUnit ?? units?.[0] ?? null;
  useEffect(() => {
    if (!firstUnit) return;
    void follow(firstUnit);
    return () => void stop();
  }, [firstUnit, follow, stop]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: version is how the mutable buffer says it grew
  const indices = useMemo(() => buffer.matching(filter), [buffer, filter, version]);
  if (!paused) frozen.current = null;
  else frozen.current ??= indices.length;
  const count = paused ? Math.min(frozen.current ?? indices.length, indices.length) : indices.length;
  const waiting = indices.length - count;

  return (
    <section className="panel logs-panel" aria-labelledby="logs-title">
      <h1 id="logs-title">Logs</h1>
      <div className="toolbar" role="toolbar" aria-label="Log controls">
        <label>
          Unit{' '}
          <select value={unit ?? ''} onChange={(e) => void follow(e.target.value)}>
            {unit === null && <option value="">—</option>}
            {(units ?? []).map((u) => (
              <option key={u} value={u}>
                {u}
              </option>
            ))}
          </select>
        </label>
        {state === 'following' || state === 'starting' ? (
          <button type="button" onClick={() => void stop()}>
            Stop following
          </button>
        ) : (
          <button type="button" disabled={!unit} onClick={() => unit && void follow(unit)}>
            Follow
          </button>
        )}
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <label>
          Filter{' '}
          <input
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            spellCheck={false}
          />
        </label>
        <span className="muted" role="status" data-testid="log-count">
          {NUMBER.format(count)} {filter ? 'matching lines' : 'lines'}
          {waiting > 0 && `, ${NUMBER.format(waiting)} new while paused`}
          {state === 'following' && !paused && ' · following'}
          {state === 'ended' && ' · stopped'}
        </span>
      </div>
      {error && <ErrorText error={error} />}
      <VirtualList
        className="log-view"
        label={unit ? `Journal of ${unit}` : 'Journal'}
        count={count}
        rowHeight={ROW_HEIGHT}
        follow={!paused}
        onScrolledAway={() => setPaused(true)}
        renderRow={(i) => {
          const abs = indices.at(i);
          return <LogRow line={abs === undefined ? undefined : buffer.at(abs)} />;
        }}
      />
    </section>
  );
}
