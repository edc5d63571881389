import { useEffect, useId, useState } from 'react';
import { SETTINGS_LIMITS } from '../../../src-main/core/vocab';
import type { ErrorInfo, FieldIssue, ProfileDraft, Settings } from '../../../src-main/ipc/contract';
import { Dialog } from '../components/dialog';
import { ErrorText } from '../components/error-text';
import type { DraftResult } from '../store/settings-slice';
import { useApp } from '../store/store';
import { ProfileEditor } from './profile-editor';
import { SecretsEditor } from './secrets-editor';

const CLEAR_CHOICES: { value: string; label: string }[] = [
  { value: '10', label: '10 seconds' },
  { value: '30', label: '30 seconds' },
  { value: '60', label: '1 minute' },
  { value: '120', label: '2 minutes' },
  { value: '300', label: '5 minutes' },
  { value: 'never', label: 'Never' },
];

const REMINDER_CHOICES = [30, 60, 120, 240, 480].map((m) => ({
  value: m,
  label: m < 60 ? `${m} minutes` : `${m / 60} hour${m === 60 ? '' : 's'}`,
}));
const RETRY_CHOICES = [1, 3, 5, 10].map((m) => ({ value: m, label: `${m} minute${m === 1 ? '' : 's'}` }));

/** A choice list that still shows a value set outside it (by hand in settings.json). */
function withValue(choices: { value: number; label: string }[], value: number, unit: string) {
  return choices.some((c) => c.value === value)
    ? choices
    : [...choices, { value, label: `${value} ${unit}` }];
}

function Preferences({ settings }: { settings: Settings }) {
  const save = useApp((s) => s.saveSettings);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [poll, setPoll] = useState(String(settings.pollIntervalSeconds));
  const ids = {
    clear: useId(),
    poll: useId(),
    reminder: useId(),
    retry: useId(),
    notify: useId(),
    login: useId(),
  };
  const pollN = Number(poll);
  const { min, max } = SETTINGS_LIMITS.pollIntervalSeconds;
  const pollProblem =
    /^\d+$/.test(poll.trim()) && pollN >= min && pollN <= max
      ? null
      : `Poll interval must be ${min} to ${max} seconds.`;

  useEffect(() => setPoll(String(settings.pollIntervalSeconds)), [settings.pollIntervalSeconds]);

  async function apply(patch: Partial<Settings>): Promise<void> {
    setError(await save(patch));
  }

  const clearValue =
    settings.clipboardClearSeconds === null ? 'never' : String(settings.clipboardClearSeconds);
  const clearChoices = CLEAR_CHOICES.some((c) => c.value === clearValue)
    ? CLEAR_CHOICES
    : [...CLEAR_CHOICES, { value: clearValue, label: `${clearValue} seconds` }];

  return (
    <section className="card" aria-labelledby="prefs-title">
      <h2 id="prefs-title">Preferences</h2>
      <div className="field-grid">
        <div className="field">
          <label htmlFor={ids.clear}>Clear the clipboard after</label>
          <select
            id={ids.clear}
            value={clearValue}
            onChange={(e) =>
              void apply({
                clipboardClearSeconds: e.target.value === 'never' ? null : Number(e.target.value),
              })
            }
          >
            {clearChoices.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <p className="field-help">Only if the clipboard still holds the token; also when the app quits.</p>
        </div>
        <div className="field">
          <label htmlFor={ids.poll}>Check the server every (seconds)</label>
          <input
            id={ids.poll}
            type="text"
            inputMode="numeric"
            value={poll}
            aria-invalid={pollProblem !== null}
            aria-describedby={pollProblem ? `${ids.poll}-error` : undefined}
            onChange={(e) => setPoll(e.target.value)}
            onBlur={() =>
              !pollProblem &&
              pollN !== settings.pollIntervalSeconds &&
              void apply({ pollIntervalSeconds: pollN })
            }
            onKeyDown={(e) => e.key === 'Enter' && !pollProblem && void apply({ pollIntervalSeconds: pollN })}
          />
          {pollProblem && (
            <p id={`${ids.poll}-error`} className="field-error">
              {pollProblem}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={ids.reminder}>Maintenance reminder after</label>
          <select
            id={ids.reminder}
            value={settings.maintenanceReminderMinutes}
            onChange={(e) => void apply({ maintenanceReminderMinutes: Number(e.target.value) })}
          >
            {withValue(REMINDER_CHOICES, settings.maintenanceReminderMinutes, 'minutes').map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <p className="field-help">Once, in the tray, the window and the command line alike.</p>
        </div>
        <div className="field">
          <label htmlFor={ids.retry}>Retry starting Tuwunel for</label>
          <select
            id={ids.retry}
            value={settings.startRetryMinutes}
            onChange={(e) => void apply({ startRetryMinutes: Number(e.target.value) })}
          >
            {withValue(RETRY_CHOICES, settings.startRetryMinutes, 'minutes').map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <p className="field-help">After a command that stops it; you are told at the first failed start.</p>
        </div>
      </div>
      <div className="check-stack">
        <div className="field field-check">
          <input
            id={ids.notify}
            type="checkbox"
            checked={settings.notifications}
            onChange={(e) => void apply({ notifications: e.target.checked })}
          />
          <label htmlFor={ids.notify}>
            Notify me when a check goes down or recovers, and when a run fails
          </label>
        </div>
        <div className="field field-check">
          <input
            id={ids.login}
            type="checkbox"
            checked={settings.launchAtLogin}
            onChange={(e) => void apply({ launchAtLogin: e.target.checked })}
          />
          <label htmlFor={ids.login}>Start Homeserver Tray when I log in</label>
        </div>
      </div>
      {error && <ErrorText error={error} />}
    </section>
  );
}

type Editing = { id: string | null; draft: ProfileDraft; issues: FieldIssue[] } | null;

function Servers({ onEdit }: { onEdit: (e: Editing) => void }) {
  const profiles = useApp((s) => s.profiles);
  const openDraft = useApp((s) => s.openProfileDraft);
  const exampleDraft = useApp((s) => s.exampleProfileDraft);
  const select = useApp((s) => s.selectProfile);
  const remove = useApp((s) => s.deleteProfile);
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);

  function open(id: string | null, r: DraftResult): void {
    if (!r.ok) setError(r.error);
    else if (r.value.draft) onEdit({ id, draft: r.value.draft, issues: r.value.issues });
  }

  return (
    <section className="card" aria-labelledby="servers-title">
      <h2 id="servers-title">Servers</h2>
      <ul className="server-list">
        {(profiles?.profiles ?? []).map((p) => {
          const selected = p.id === profiles?.selectedId;
          return (
            <li key={p.id} className={selected ? 'server selected' : 'server'}>
              <div>
                <strong>{p.name}</strong> <span className="muted">{p.serverName}</span>
                {selected && <span className="tag">in use</span>}
                <div className="muted mono small">{p.file}</div>
              </div>
              <div className="button-row">
                {!selected && (
                  <button type="button" aria-label={`Use ${p.name}`} onClick={() => void select(p.id)}>
                    Use
                  </button>
                )}
                <button
                  type="button"
                  aria-label={`Edit ${p.name}`}
                  onClick={async () => open(p.id, await openDraft(p.id))}
                >
                  Edit
                </button>
                <button
                  type="button"
                  aria-label={`Remove ${p.name}`}
                  onClick={() => setDeleting({ id: p.id, name: p.name })}
                >
                  Remove
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      <button type="button" onClick={async () => open(null, await exampleDraft())}>
        Add a server
      </button>
      {error && <ErrorText error={error} />}
      {deleting && (
        <Dialog title={`Remove ${deleting.name}?`} onCancel={() => setDeleting(null)} alert>
          <p className="effect">
            The profile file is deleted from this computer. Nothing changes on the server; its keychain
            entries stay until you delete them.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="danger-button"
              onClick={async () => {
                const id = deleting.id;
                setDeleting(null);
                setError(await remove(id));
              }}
            >
              Remove
            </button>
            <button type="button" onClick={() => setDeleting(null)} data-autofocus>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

export function SettingsPanel() {
  const settings = useApp((s) => s.settings);
  const [editing, setEditing] = useState<Editing>(null);
  return (
    <section className="panel" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <div className="stack">
        {editing ? (
          <section className="card" aria-labelledby="editor-title">
            <h2 id="editor-title">{editing.id ? 'Edit server' : 'New server'}</h2>
            <ProfileEditor
              id={editing.id}
              initial={editing.draft}
              initialIssues={editing.issues}
              onSaved={() => setEditing(null)}
              onCancel={() => setEditing(null)}
            />
          </section>
        ) : (
          <Servers onEdit={setEditing} />
        )}
        <section className="card" aria-labelledby="secrets-title">
          <h2 id="secrets-title">Secrets</h2>
          <SecretsEditor />
        </section>
        {settings && <Preferences settings={settings} />}
      </div>
    </section>
  );
}
