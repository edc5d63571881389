import { useEffect, useId, useState } from 'react';
import type { ErrorInfo, HostRole, SecretKind, SecretSlot } from '../../../src-main/ipc/contract';
import { ErrorText } from '../components/error-text';
import { HOST_TITLE } from '../lib/format';
import { useApp } from '../store/store';

const KIND_TEXT: Record<SecretKind, string> = {
  'ssh-password': 'SSH password',
  'ssh-key-passphrase': 'SSH key passphrase',
  'sudo-password': 'sudo password',
  'vault-password': 'Ansible Vault password',
  'matrix-admin-token': 'Matrix admin access token',
};

export function secretLabel(kind: SecretKind, host: HostRole | null): string {
  return host ? `${KIND_TEXT[kind]} for the ${HOST_TITLE[host].toLowerCase()}` : KIND_TEXT[kind];
}

/** Write-only: the field sends a new value to the keychain; nothing is ever read back but "stored". */
function SecretRow({ slot }: { slot: SecretSlot }) {
  const setSecret = useApp((s) => s.setSecret);
  const deleteSecret = useApp((s) => s.deleteSecret);
  const [value, setValue] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const label = secretLabel(slot.kind, slot.host);

  async function run(op: () => Promise<ErrorInfo | null>): Promise<void> {
    setBusy(true);
    setError(await op());
    setBusy(false);
  }

  return (
    <li className="secret-row">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value === '') return;
          const v = value;
          setValue('');
          void run(() => setSecret(slot.kind, slot.host, v));
        }}
      >
        <label htmlFor={id} className="secret-label">
          {label}
        </label>
        <span
          className={slot.stored ? 'stored yes' : 'stored no'}
          data-testid={`secret-${slot.kind}-${slot.host ?? 'profile'}`}
        >
          <span aria-hidden="true">{slot.stored ? '● ' : '○ '}</span>
          {slot.stored ? 'stored' : 'not stored'}
        </span>
        <input
          id={id}
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={value}
          placeholder={slot.stored ? 'Replace…' : 'Enter to store'}
          onChange={(e) => setValue(e.target.value)}
        />
        <button type="submit" disabled={busy || value === ''} aria-label={`Store ${label}`}>
          Store
        </button>
        <button
          type="button"
          disabled={busy || !slot.stored}
          aria-label={`Delete ${label}`}
          onClick={() => void run(() => deleteSecret(slot.kind, slot.host))}
        >
          Delete
        </button>
      </form>
      {error && <ErrorText error={error} />}
    </li>
  );
}

/**
 * The admin access token is not typed in: signing in once with the admin's password gets it (device
 * "Homeserver Tray"), and only the token is kept. Its own block under the secrets, as the invites error
 * and the CLI point to it ("sign in under Settings → Secrets").
 */
function MatrixLogin({ stored }: { stored: boolean }) {
  const login = useApp((s) => s.matrixLogin);
  const logout = useApp((s) => s.matrixLogout);
  const serverName = useApp((s) => s.status?.serverName ?? null);
  const [userId, setUserId] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const titleId = useId();
  const userFieldId = useId();
  const passwordId = useId();
  return (
    <section className="admin-login" aria-labelledby={titleId}>
      <h3 id={titleId}>Sign in as the Matrix admin</h3>
      {stored ? (
        <div className="admin-login-form">
          <p className="field-help">
            Signed in: user actions go through the admin room, without downtime. Logging out revokes the token
            on the server and deletes it here.
          </p>
          <button type="button" onClick={async () => setError(await logout())}>
            Log out and revoke the admin token
          </button>
        </div>
      ) : (
        <>
          <p className="field-help">
            Log in once with the admin’s password: only the access token is kept, in the keychain, so user
            actions go through the admin room without downtime.
          </p>
          <form
            className="admin-login-form"
            onSubmit={async (e) => {
              e.preventDefault();
              const pw = password;
              setPassword('');
              setError(await login(userId.trim(), pw));
            }}
          >
            <div className="field">
              <label htmlFor={userFieldId}>Admin user ID</label>
              <input
                id={userFieldId}
                type="text"
                autoComplete="off"
                spellCheck={false}
                placeholder={serverName ? `@admin:${serverName}` : '@admin:example.org'}
                value={userId}
                onChange={(e) => setUserId(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor={passwordId}>Password</label>
              <input
                id={passwordId}
                type="password"
                autoComplete="off"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </div>
            <button type="submit" disabled={userId.trim() === '' || password === ''}>
              Log in
            </button>
          </form>
        </>
      )}
      {error && <ErrorText error={error} />}
    </section>
  );
}

export function SecretsEditor() {
  const secrets = useApp((s) => s.secrets);
  const error = useApp((s) => s.secretsError);
  const migration = useApp((s) => s.secretsMigration);
  const load = useApp((s) => s.loadSecrets);
  useEffect(() => {
    void load();
  }, [load]);
  const adminToken = secrets?.find((s) => s.kind === 'matrix-admin-token');
  return (
    <div className="secrets">
      <p className="field-help">
        Kept in the system keychain. The window can store or delete them, never read them back.
      </p>
      {error && <ErrorText error={error} />}
      {migration && (
        <p className="notice" role="note" data-testid="secrets-migration">
          {migration}
        </p>
      )}
      {!secrets && !error && <p role="status">Asking the keychain…</p>}
      {secrets && (
        <ul className="secret-list">
          {secrets.map((slot) => (
            <SecretRow key={`${slot.kind}/${slot.host ?? ''}`} slot={slot} />
          ))}
        </ul>
      )}
      {adminToken && <MatrixLogin stored={adminToken.stored} />}
    </div>
  );
}
