import { useEffect, useId, useState } from 'react';
import type { InviteInfo } from '../../../src-main/ipc/contract';
import { Countdown } from '../components/countdown';
import { Dialog } from '../components/dialog';
import { ErrorText } from '../components/error-text';
import { dateTime } from '../lib/format';
import { useApp } from '../store/store';
import { RevealToken } from './reveal-token';

function ClipboardState({ what }: { what: 'registration-token' | 'invite-token' }) {
  const clipboard = useApp((s) => s.clipboard);
  if (clipboard?.what !== what) return null;
  return (
    <p className="clipboard-state" role="status" data-testid={`clipboard-${what}`}>
      Copied.{' '}
      {clipboard.clearsAt === null ? (
        'The clipboard is not cleared automatically (see Settings).'
      ) : (
        <Countdown until={clipboard.clearsAt} prefix="The clipboard clears in" />
      )}
    </p>
  );
}

function RegistrationToken() {
  const copy = useApp((s) => s.copyToken);
  return (
    <section className="card" aria-labelledby="token-title">
      <h2 id="token-title">Registration token</h2>
      <p className="muted">
        The token stays in the vault. Copying decrypts it in the app and puts it on the clipboard, which is
        cleared again if it still holds the token; it never goes to a terminal or a log.
      </p>
      <div className="button-row">
        <button type="button" className="primary" onClick={() => void copy()}>
          Copy token
        </button>
        <RevealToken />
      </div>
      <ClipboardState what="registration-token" />
    </section>
  );
}

function RotateToken() {
  const rotate = useApp((s) => s.rotateToken);
  const openRun = useApp((s) => s.openRun);
  const runId = useApp((s) => s.rotationRunId);
  const run = useApp((s) => (s.rotationRunId ? s.runs[s.rotationRunId] : undefined));
  const [apply, setApply] = useState(true);
  const [confirming, setConfirming] = useState(false);
  const applyId = useId();
  return (
    <section className="card" aria-labelledby="rotate-title">
      <h2 id="rotate-title">Rotate</h2>
      <p className="muted">
        A new random token replaces the old one in the vault (a backup is kept), then the change is committed,
        pushed and pulled on the deploy host.
      </p>
      <div className="field field-check">
        <input id={applyId} type="checkbox" checked={apply} onChange={(e) => setApply(e.target.checked)} />
        <label htmlFor={applyId}>Apply it to the server afterwards (install-all,start)</label>
      </div>
      <div className="button-row">
        <button type="button" className="danger-button" onClick={() => setConfirming(true)}>
          Rotate token…
        </button>
        {runId && (
          <button type="button" className="link-button" onClick={() => void openRun(runId)}>
            Show the last rotation{run ? ` (${run.state})` : ''}
          </button>
        )}
      </div>
      {confirming && (
        <Dialog title="Rotate the registration token?" onCancel={() => setConfirming(false)} alert>
          <p className="effect">
            The old token stops working for new sign-ups. The vault gets a new token, committed and pushed
            {apply
              ? '; then the playbook applies it (install-all,start), which restarts the services whose configuration changed.'
              : '. The server keeps the old token until the configuration is applied.'}
          </p>
          <p className="muted">If a step before the push fails, the run offers to roll the vault back.</p>
          <div className="button-row">
            <button
              type="button"
              className="danger-button"
              onClick={() => {
                setConfirming(false);
                void rotate(apply);
              }}
            >
              Rotate token
            </button>
            <button type="button" onClick={() => setConfirming(false)} data-autofocus>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

function usesText(i: InviteInfo): string {
  // Tuwunel before 1.8.1 does not say how often a token was used (the app lists what it issued).
  if (i.completed === null) return i.usesAllowed === null ? 'unlimited' : `up to ${i.usesAllowed}`;
  const used = `${i.completed} used`;
  return i.usesAllowed === null ? `${used}, unlimited` : `${used} of ${i.usesAllowed}`;
}

function InviteButtons({ invite }: { invite: InviteInfo }) {
  const copyToken = useApp((s) => s.copyInviteToken);
  const copyInstructions = useApp((s) => s.copyInstructions);
  return (
    <div className="button-row">
      <button type="button" className="primary" onClick={() => void copyToken(invite.id)}>
        Copy invite token
      </button>
      <button type="button" onClick={() => void copyInstructions()}>
        Copy joining instructions
      </button>
    </div>
  );
}

const EXPIRY_CHOICES = [
  { value: '1', label: '1 day' },
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: 'never', label: 'Never' },
];

function Invites() {
  const invites = useApp((s) => s.invites);
  const error = useApp((s) => s.invitesError);
  const last = useApp((s) => s.lastInvite);
  const load = useApp((s) => s.loadInvites);
  const create = useApp((s) => s.createInvite);
  const copyToken = useApp((s) => s.copyInviteToken);
  const revoke = useApp((s) => s.revokeInvite);
  const navigate = useApp((s) => s.navigate);
  const [uses, setUses] = useState('1');
  const [expiry, setExpiry] = useState('7');
  const [revoking, setRevoking] = useState<InviteInfo | null>(null);
  const [creating, setCreating] = useState(false);
  const usesId = useId();
  const expiryId = useId();
  const usesN = Number(uses);
  const usesProblem =
    /^\d+$/.test(uses.trim()) && usesN >= 1 && usesN <= 100 ? null : 'Uses must be a number from 1 to 100.';

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section className="card" aria-labelledby="invites-title">
      <h2 id="invites-title">Invites</h2>
      <p className="muted">
        A one-shot registration token for one person. Send the token and the joining instructions through two
        different channels.
      </p>
      <form
        className="inline-form"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          if (usesProblem) return;
          setCreating(true);
          await create(usesN, expiry === 'never' ? null : Number(expiry));
          setCreating(false);
        }}
      >
        <div className="field">
          <label htmlFor={usesId}>Uses</label>
          <input
            id={usesId}
            type="text"
            inputMode="numeric"
            value={uses}
            aria-invalid={usesProblem !== null}
            aria-describedby={usesProblem ? `${usesId}-error` : undefined}
            onChange={(e) => setUses(e.target.value)}
          />
          {usesProblem && (
            <p id={`${usesId}-error`} className="field-error">
              {usesProblem}
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor={expiryId}>Expires after</label>
          <select id={expiryId} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary" disabled={creating || usesProblem !== null}>
          Create invite
        </button>
      </form>
      {last && (
        <div className="new-invite" data-testid="new-invite">
          <p>
            Invite <code>{last.hint}</code> created and its token copied.
          </p>
          <InviteButtons invite={last} />
        </div>
      )}
      <ClipboardState what="invite-token" />
      {error && <ErrorText error={error} />}
      {error?.code === 'SecretMissing' && (
        <div className="button-row">
          <button type="button" onClick={() => navigate({ panel: 'settings' })}>
            Open Settings
          </button>
        </div>
      )}
      {invites && invites.length > 0 && (
        <table className="invite-table">
          <caption className="sr-only">Registration tokens on the server</caption>
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">Uses</th>
              <th scope="col">Pending</th>
              <th scope="col">Expires</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {invites.map((i) => (
              <tr key={i.id}>
                <th scope="row">
                  <code>{i.hint}</code>
                </th>
                <td>{usesText(i)}</td>
                <td>{i.pending ?? 'not known'}</td>
                <td>{i.expiresAt === null ? 'never' : dateTime(i.expiresAt)}</td>
                <td className="row-actions">
                  <button
                    type="button"
                    aria-label={`Copy invite token ${i.hint}`}
                    onClick={() => void copyToken(i.id)}
                  >
                    Copy
                  </button>
                  <button type="button" aria-label={`Revoke invite ${i.hint}`} onClick={() => setRevoking(i)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {/* True on both routes: before 1.8.1 the list is what this app issued, not all the server's tokens. */}
      {invites?.length === 0 && <p className="muted">No open invites.</p>}
      {revoking && (
        <Dialog title="Revoke this invite?" onCancel={() => setRevoking(null)} alert>
          <p className="effect">
            The token <code>{revoking.hint}</code> stops working; anyone who has not signed up with it yet
            cannot.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="danger-button"
              onClick={() => {
                const id = revoking.id;
                setRevoking(null);
                void revoke(id);
              }}
            >
              Revoke
            </button>
            <button type="button" onClick={() => setRevoking(null)} data-autofocus>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

export function TokensPanel() {
  return (
    <section className="panel" aria-labelledby="tokens-title">
      <h1 id="tokens-title">Tokens</h1>
      <div className="stack">
        <RegistrationToken />
        <Invites />
        <RotateToken />
      </div>
    </section>
  );
}
