import { LevelBadge } from '../components/level-badge';
import { ago } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useApp } from '../store/store';

/** Always visible: which server, how it is, when it was last looked at, and a way to look again. */
export function TopBar() {
  const profiles = useApp((s) => s.profiles);
  const selectProfile = useApp((s) => s.selectProfile);
  const overall = useApp((s) => s.status?.overall ?? null);
  const lastRefresh = useApp((s) => s.status?.lastRefresh ?? null);
  const polling = useApp((s) => s.status?.refreshing ?? false);
  const refreshing = useApp((s) => s.refreshing);
  const refresh = useApp((s) => s.refreshStatus);
  const busy = useApp((s) => s.status?.busy ?? null);
  const openRun = useApp((s) => s.openRun);
  const now = useNow(1000);
  const list = profiles?.profiles ?? [];

  return (
    <header className="top-bar">
      {list.length > 1 ? (
        <label className="profile-picker">
          <span className="sr-only">Server</span>
          <select value={profiles?.selectedId ?? ''} onChange={(e) => void selectProfile(e.target.value)}>
            {list.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <span className="server-name">{list[0]?.name ?? 'No server'}</span>
      )}
      {overall && <LevelBadge level={overall} />}
      {busy && (
        <button type="button" className="link-button busy" onClick={() => void openRun(busy.runId)}>
          <span className="spinner" aria-hidden="true" /> {busy.title}…
        </button>
      )}
      <span className="spacer" />
      <span className="last-refresh" data-testid="last-refresh">
        {lastRefresh === null ? 'Not checked yet' : `Checked ${ago(lastRefresh, now)}`}
      </span>
      <button
        type="button"
        onClick={() => void refresh()}
        disabled={refreshing}
        aria-busy={refreshing || polling}
      >
        {refreshing ? 'Refreshing…' : 'Refresh'}
      </button>
    </header>
  );
}
