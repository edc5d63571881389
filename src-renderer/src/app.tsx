import { lazy, Suspense } from 'react';
import type { Panel } from '../../src-main/ipc/contract';
import { ConfirmDialog } from './components/confirm-dialog';
import { ErrorText } from './components/error-text';
import { HostKeyDialog } from './components/host-key-dialog';
import { LevelBadge } from './components/level-badge';
import { Notices } from './components/notices';
import { Dashboard } from './panels/dashboard';
import { RunPanel } from './panels/run-panel';
import { TopBar } from './panels/top-bar';
import { useApp } from './store/store';

// Only the dashboard is in the first bundle; the rest (and zod, for the action forms) load when opened.
const ActionsPanel = lazy(() => import('./panels/actions').then((m) => ({ default: m.ActionsPanel })));
const LogsPanel = lazy(() => import('./panels/logs').then((m) => ({ default: m.LogsPanel })));
const TokensPanel = lazy(() => import('./panels/tokens').then((m) => ({ default: m.TokensPanel })));
const PeoplePanel = lazy(() => import('./panels/people').then((m) => ({ default: m.PeoplePanel })));
const SettingsPanel = lazy(() => import('./panels/settings').then((m) => ({ default: m.SettingsPanel })));
const Onboarding = lazy(() => import('./panels/onboarding').then((m) => ({ default: m.Onboarding })));

const NAV: { panel: Panel; label: string }[] = [
  { panel: 'dashboard', label: 'Dashboard' },
  { panel: 'actions', label: 'Actions' },
  { panel: 'logs', label: 'Logs' },
  { panel: 'tokens', label: 'Tokens' },
  { panel: 'people', label: 'People' },
  { panel: 'settings', label: 'Settings' },
];

function Nav() {
  const panel = useApp((s) => s.panel);
  const navigate = useApp((s) => s.navigate);
  const overall = useApp((s) => s.status?.overall ?? null);
  return (
    <nav className="sidebar" aria-label="Sections">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ◆
        </span>
        Homeserver Tray
      </div>
      <ul>
        {NAV.map((n) => (
          <li key={n.panel}>
            <button
              type="button"
              className="nav-item"
              aria-current={panel === n.panel ? 'page' : undefined}
              onClick={() => navigate({ panel: n.panel })}
            >
              {n.label}
              {n.panel === 'dashboard' && overall && overall !== 'ok' && (
                <span className="nav-badge">
                  <LevelBadge level={overall} compact />
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function CurrentPanel() {
  const panel = useApp((s) => s.panel);
  switch (panel) {
    case 'dashboard':
      return <Dashboard />;
    case 'actions':
      return <ActionsPanel />;
    case 'logs':
      return <LogsPanel />;
    case 'tokens':
      return <TokensPanel />;
    case 'people':
      return <PeoplePanel />;
    case 'settings':
      return <SettingsPanel />;
  }
}

const loading = (
  <p className="loading" role="status">
    Loading…
  </p>
);

export function App() {
  // A status can only come from a set-up profile: the dashboard need not wait for app.info (see boot).
  const booted = useApp((s) => s.info !== null || s.status !== null);
  const bootError = useApp((s) => s.bootError);
  const onboarding = useApp((s) => s.onboarding);
  const runOpen = useApp((s) => s.activeRunId !== null);

  if (bootError) {
    return (
      <main className="boot">
        <h1>Homeserver Tray</h1>
        <ErrorText error={bootError} />
      </main>
    );
  }
  if (!booted) return <main className="boot">{loading}</main>;
  if (onboarding) {
    return (
      <>
        <Suspense fallback={loading}>
          <Onboarding />
        </Suspense>
        <HostKeyDialog />
        <Notices />
      </>
    );
  }
  return (
    <div className={runOpen ? 'app app-with-run' : 'app'}>
      <Nav />
      <div className="main-column">
        <TopBar />
        <main className="content">
          <Suspense fallback={loading}>
            <CurrentPanel />
          </Suspense>
        </main>
      </div>
      <RunPanel />
      <ConfirmDialog />
      <HostKeyDialog />
      <Notices />
    </div>
  );
}
