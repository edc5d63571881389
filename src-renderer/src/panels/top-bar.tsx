import type { ProfileSummary, StatusSnapshot } from '../../../src-main/ipc/contract';
import { LevelBadge } from '../components/level-badge';
import { ago, LEVEL_TEXT } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useApp } from '../store/store';

/**
 * Every watched server, each with its level: one click shows it. The app polls them all, so switching
 * shows what that server's core kept (status, runs, alerts) at once.
 */
function ServerSwitcher({
  profiles,
  selectedId,
  servers,
  select,
}: {
  profiles: readonly ProfileSummary[];
  selectedId: string | null;
  servers: readonly StatusSnapshot[];
  select: (id: string) => void;
}) {
  return (
    <nav className="server-switcher" aria-label="Servers">
      {profiles.map((p) => {
        const status = servers.find((s) => s.profileId === p.id);
        const level = status && status.lastRefresh !== null ? status.overall : 'unknown';
        return (
          <button
            key={p.id}
            type="button"
            className="server-tab"
            aria-pressed={p.id === selectedId}
            title={`${p.name} (${p.serverName}): ${LEVEL_TEXT[level]}`}
            onClick={() => select(p.id)}
          >
            <LevelBadge level={level} compact />
            <span className="server-tab-name">{p.name}</span>
          </button>
        );
      })}
    </nav>
  );
}

/** Always visible: which server, how it is, when it was last looked at, and a way to look again. */
export function TopBar() {
  const profiles = useApp((s) => s.profiles);
  const servers = useApp((s) => s.servers);
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
        <ServerSwitcher
          profiles={list}
          selectedId={profiles?.selectedId ?? null}
          servers={servers}
          select={(id) => void selectProfile(id)}
        />
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
