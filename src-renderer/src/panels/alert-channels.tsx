import { useEffect, useId, useState } from 'react';
import {
  ALERT_CHANNEL_TYPES,
  ALERT_KINDS,
  type AlertKindName,
  SETTINGS_LIMITS,
} from '../../../src-main/core/vocab';
import type { AlertChannel, ChannelView, Delivery, ErrorInfo } from '../../../src-main/ipc/contract';
import { Dialog } from '../components/dialog';
import { ErrorText } from '../components/error-text';
import { useApp } from '../store/store';

const TYPE_TEXT: Record<AlertChannel['type'], { name: string; help: string }> = {
  ntfy: {
    name: 'ntfy topic',
    help: 'Push to your phone through ntfy.sh or an ntfy server of your own (subscribe to the topic in the ntfy app).',
  },
  webhook: { name: 'Webhook', help: 'A JSON POST to a URL of yours, optionally with a secret header.' },
  matrix: {
    name: 'Matrix room on another server',
    help: 'A message in a room on a homeserver other than this one, sent by an account you invite there.',
  },
};

const KIND_TEXT: Record<AlertKindName, string> = {
  down: 'Down',
  'still-down': 'Still down',
  recovered: 'Recovered',
};

const SECRET_TEXT: Record<NonNullable<ChannelView['secretKind']>, string> = {
  'ntfy-access-token': 'Access token',
  'webhook-secret': 'Header secret',
  'matrix-room-token': 'Access token of the alert account',
};

/** Where a channel sends, in one line (never a secret: those are in the keychain). */
function destination(c: AlertChannel): string {
  switch (c.type) {
    case 'ntfy':
      return `${c.serverUrl.replace(/\/$/, '')}/${c.topic}`;
    case 'webhook':
      return c.secretHeader ? `${c.url} (secret in ${c.secretHeader})` : c.url;
    case 'matrix':
      return `${c.roomId} via ${c.homeserverUrl}`;
  }
}

function newId(name: string, taken: readonly AlertChannel[]): string {
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 24) || 'channel';
  let id = slug;
  for (let n = 2; taken.some((c) => c.id === id); n++) id = `${slug}-${n}`;
  return id;
}

function blank(type: AlertChannel['type']): AlertChannel {
  const common = { id: '', name: '', enabled: true, events: [...ALERT_KINDS] };
  switch (type) {
    case 'ntfy':
      return { ...common, type, serverUrl: 'https://ntfy.sh', topic: '', useAccessToken: false };
    case 'webhook':
      return { ...common, type, url: 'https://', secretHeader: null };
    case 'matrix':
      return { ...common, type, homeserverUrl: 'https://', roomId: '' };
  }
}

function TextField({
  label,
  value,
  onChange,
  help,
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  help?: string;
  placeholder?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="text"
        spellCheck={false}
        autoComplete="off"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
      />
      {help && <p className="field-help">{help}</p>}
    </div>
  );
}

/** Adding or editing one channel; the main process validates it when the list is saved. */
function ChannelForm({
  initial,
  onSave,
  onCancel,
}: {
  initial: AlertChannel;
  onSave: (c: AlertChannel) => Promise<ErrorInfo | null>;
  onCancel: () => void;
}) {
  const [c, setC] = useState<AlertChannel>(initial);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const typeId = useId();
  const isNew = initial.id === '';
  const patch = (p: Partial<AlertChannel>) => setC((old) => ({ ...old, ...p }) as AlertChannel);
  return (
    <form
      className="channel-form"
      aria-label={isNew ? 'New alert channel' : `Edit ${initial.name}`}
      onSubmit={async (e) => {
        e.preventDefault();
        setError(await onSave(c));
      }}
    >
      <div className="field-grid">
        {isNew && (
          <div className="field">
            <label htmlFor={typeId}>Kind</label>
            <select
              id={typeId}
              value={c.type}
              onChange={(e) =>
                setC({
                  ...blank(e.target.value as AlertChannel['type']),
                  name: c.name,
                  events: c.events,
                  enabled: c.enabled,
                })
              }
            >
              {ALERT_CHANNEL_TYPES.map((t) => (
                <option key={t} value={t}>
                  {TYPE_TEXT[t].name}
                </option>
              ))}
            </select>
          </div>
        )}
        <TextField label="Name" value={c.name} placeholder="My phone" onChange={(name) => patch({ name })} />
        {c.type === 'ntfy' && (
          <>
            <TextField
              label="ntfy server"
              value={c.serverUrl}
              onChange={(serverUrl) => patch({ serverUrl })}
            />
            <TextField label="Topic" value={c.topic} onChange={(topic) => patch({ topic })} />
          </>
        )}
        {c.type === 'webhook' && (
          <>
            <TextField label="URL" value={c.url} onChange={(url) => patch({ url })} />
            <TextField
              label="Header carrying a secret (optional)"
              value={c.secretHeader ?? ''}
              placeholder="Authorization"
              onChange={(h) => patch({ secretHeader: h.trim() === '' ? null : h.trim() })}
            />
          </>
        )}
        {c.type === 'matrix' && (
          <>
            <TextField
              label="Homeserver URL"
              value={c.homeserverUrl}
              onChange={(homeserverUrl) => patch({ homeserverUrl })}
            />
            <TextField
              label="Room ID"
              value={c.roomId}
              placeholder="!abc123:example.org"
              help="Element: Room settings → Advanced. Invite the alert account to it."
              onChange={(roomId) => patch({ roomId })}
            />
          </>
        )}
      </div>
      <p className="field-help">{TYPE_TEXT[c.type].help}</p>
      <fieldset className="channel-events">
        <legend>Send</legend>
        {ALERT_KINDS.map((k) => (
          <label key={k} className="inline-check">
            <input
              type="checkbox"
              checked={c.events.includes(k)}
              onChange={(e) =>
                patch({
                  events: e.target.checked
                    ? ALERT_KINDS.filter((x) => x === k || c.events.includes(x))
                    : c.events.filter((x) => x !== k),
                })
              }
            />
            {KIND_TEXT[k]}
          </label>
        ))}
        {c.type === 'ntfy' && (
          <label className="inline-check">
            <input
              type="checkbox"
              checked={c.useAccessToken}
              onChange={(e) => patch({ useAccessToken: e.target.checked })}
            />
            Protected topic (send an access token)
          </label>
        )}
      </fieldset>
      <div className="button-row">
        <button type="submit" className="primary">
          {isNew ? 'Add the channel' : 'Save'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      {error && <ErrorText error={error} />}
    </form>
  );
}

/** Write-only, like the profile's secrets: stored or not, never shown. */
function ChannelSecret({ view }: { view: ChannelView }) {
  const setSecret = useApp((s) => s.setChannelSecret);
  const deleteSecret = useApp((s) => s.deleteChannelSecret);
  const [value, setValue] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const id = useId();
  if (!view.secretKind) return null;
  const label = `${SECRET_TEXT[view.secretKind]} for ${view.channel.name}`;
  return (
    <div className="secret-row">
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const v = value;
          setValue('');
          setError(await setSecret(view.channel.id, v));
        }}
      >
        <label htmlFor={id} className="secret-label">
          {SECRET_TEXT[view.secretKind]}
        </label>
        <span className={view.secretStored ? 'stored yes' : 'stored no'}>
          <span aria-hidden="true">{view.secretStored ? '● ' : '○ '}</span>
          {view.secretStored ? 'stored' : 'not stored'}
        </span>
        <input
          id={id}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          placeholder={view.secretStored ? 'Replace…' : 'Enter to store'}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" disabled={value === ''} aria-label={`Store ${label}`}>
          Store
        </button>
        <button
          type="button"
          disabled={!view.secretStored}
          aria-label={`Delete ${label}`}
          onClick={async () => setError(await deleteSecret(view.channel.id))}
        >
          Delete
        </button>
      </form>
      {error && <ErrorText error={error} />}
    </div>
  );
}

function TestResult({ result }: { result: { ok: true; value: Delivery } | { ok: false; error: ErrorInfo } }) {
  if (!result.ok) return <ErrorText error={result.error} />;
  if (result.value.ok)
    return (
      <p className="test-ok" role="status">
        ✓ Test message delivered.
      </p>
    );
  return result.value.error ? <ErrorText error={result.value.error} /> : null;
}

function ChannelItem({
  view,
  onEdit,
  onRemove,
  onToggle,
}: {
  view: ChannelView;
  onEdit: () => void;
  onRemove: () => void;
  onToggle: (enabled: boolean) => void;
}) {
  const test = useApp((s) => s.testChannel);
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<Awaited<ReturnType<typeof test>> | null>(null);
  const c = view.channel;
  const enabledId = useId();
  return (
    <li className="channel" data-testid={`channel-${c.id}`}>
      <div className="channel-head">
        <div className="channel-what">
          <strong>{c.name}</strong> <span className="tag">{TYPE_TEXT[c.type].name}</span>
          {!c.enabled && <span className="tag">off</span>}
          <div className="muted mono small channel-where">{destination(c)}</div>
          <div className="muted small">
            Sends: {c.events.map((e) => KIND_TEXT[e].toLowerCase()).join(', ')}
          </div>
        </div>
        <div className="button-row">
          <span className="field field-check">
            <input
              id={enabledId}
              type="checkbox"
              checked={c.enabled}
              onChange={(e) => onToggle(e.target.checked)}
            />
            <label htmlFor={enabledId}>On</label>
          </span>
          <button
            type="button"
            disabled={testing}
            aria-label={`Send a test to ${c.name}`}
            onClick={async () => {
              setTesting(true);
              setResult(null);
              setResult(await test(c.id));
              setTesting(false);
            }}
          >
            {testing ? 'Sending…' : 'Send test'}
          </button>
          <button type="button" aria-label={`Edit ${c.name}`} onClick={onEdit}>
            Edit
          </button>
          <button type="button" aria-label={`Remove ${c.name}`} onClick={onRemove}>
            Remove
          </button>
        </div>
      </div>
      {view.warning && (
        <p className="channel-warning" role="note">
          ! {view.warning}
        </p>
      )}
      <ChannelSecret view={view} />
      {result && <TestResult result={result} />}
    </li>
  );
}

/**
 * Settings → Alerts: the off-host channels. An alert only on the desktop dies with the laptop lid; one sent
 * through the homeserver dies with it. Each channel has a "Send test"; a failing channel is told once.
 */
export function AlertChannels() {
  const saved = useApp((s) => s.settings?.alertChannels);
  const views = useApp((s) => s.channels);
  const loadError = useApp((s) => s.channelsError);
  const load = useApp((s) => s.loadChannels);
  const save = useApp((s) => s.saveChannels);
  const deleteSecret = useApp((s) => s.deleteChannelSecret);
  const [editing, setEditing] = useState<AlertChannel | null>(null);
  const [removing, setRemoving] = useState<AlertChannel | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the settings hold the channels; when they change, the views follow
  useEffect(() => {
    void load();
  }, [load, saved]);

  const list = saved ?? [];
  const max = SETTINGS_LIMITS.alertChannels.max;

  async function saveOne(c: AlertChannel): Promise<ErrorInfo | null> {
    const isNew = c.id === '';
    const channel = isNew ? { ...c, id: newId(c.name, list) } : c;
    const next = isNew ? [...list, channel] : list.map((x) => (x.id === c.id ? channel : x));
    const problem = await save(next);
    if (!problem) setEditing(null);
    return problem;
  }

  return (
    <section className="card" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts off this computer</h2>
      <p className="field-help">
        Down, still down and recovered go to these too, so they reach you when the laptop is closed. Use a
        service that does not run on the server it watches.
      </p>
      {loadError && <ErrorText error={loadError} />}
      {views && views.length > 0 && (
        <ul className="channel-list">
          {views.map((v) => (
            <ChannelItem
              key={v.channel.id}
              view={v}
              onEdit={() => setEditing(v.channel)}
              onRemove={() => setRemoving(v.channel)}
              onToggle={async (enabled) =>
                setError(
                  await save(
                    list.map((x) => (x.id === v.channel.id ? ({ ...x, enabled } as AlertChannel) : x)),
                  ),
                )
              }
            />
          ))}
        </ul>
      )}
      {views && views.length === 0 && !editing && <p className="muted">No channel yet.</p>}
      {editing ? (
        <ChannelForm
          key={editing.id || 'new'}
          initial={editing}
          onSave={saveOne}
          onCancel={() => setEditing(null)}
        />
      ) : (
        <button type="button" disabled={list.length >= max} onClick={() => setEditing(blank('ntfy'))}>
          Add a channel
        </button>
      )}
      {error && <ErrorText error={error} />}
      {removing && (
        <Dialog title={`Remove ${removing.name}?`} onCancel={() => setRemoving(null)} alert>
          <p className="effect">Alerts stop going there; its secret, if any, is deleted from the keychain.</p>
          <div className="button-row">
            <button
              type="button"
              className="danger-button"
              onClick={async () => {
                const id = removing.id;
                setRemoving(null);
                const stored = views?.find((v) => v.channel.id === id)?.secretStored === true;
                const problem = stored ? await deleteSecret(id) : null;
                setError(problem ?? (await save(list.filter((x) => x.id !== id))));
              }}
            >
              Remove
            </button>
            <button type="button" onClick={() => setRemoving(null)} data-autofocus>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
