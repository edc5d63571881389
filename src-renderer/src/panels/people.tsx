import { useEffect, useId, useRef, useState } from 'react';
import type { InviteInfo, UserSummaryView } from '../../../src-main/ipc/contract';
import { Countdown } from '../components/countdown';
import { Dialog } from '../components/dialog';
import { ErrorText } from '../components/error-text';
import { VirtualList } from '../components/virtual-list';
import { dateTime } from '../lib/format';
import { RESTART_NOTICE } from '../lib/notice-text';
import { useApp } from '../store/store';

const ROW_HEIGHT = 34;

function yesNo(v: boolean | null): string {
  return v === null ? '?' : v ? 'yes' : 'no';
}

function UserRow({ user }: { user: UserSummaryView }) {
  const select = useApp((s) => s.selectUser);
  const selected = useApp((s) => s.selectedUser === user.userId);
  return (
    <button
      type="button"
      className="people-row"
      aria-current={selected ? 'true' : undefined}
      onClick={() => void select(user.userId)}
    >
      <span className="people-id">
        {user.displayName ? <strong>{user.displayName} </strong> : null}
        <span className="muted">{user.userId}</span>
      </span>
      <span>
        {user.admin && <span className="tag">admin</span>}
        {user.deactivated && <span className="tag tag-down">deactivated</span>}
      </span>
      <span className="people-seen">{user.lastActiveAt ? dateTime(user.lastActiveAt) : 'never seen'}</span>
      <span className="people-devices">
        {user.deviceCount === null ? '' : `${user.deviceCount} device${user.deviceCount === 1 ? '' : 's'}`}
      </span>
    </button>
  );
}

function UserList() {
  const people = useApp((s) => s.people);
  const load = useApp((s) => s.loadPeople);
  const [search, setSearch] = useState(people.search);
  const searchId = useId();
  const first = useRef(true);

  useEffect(() => {
    // The first load is immediate; typing waits for a pause so each key is not a request.
    const delay = first.current ? 0 : 250;
    first.current = false;
    const t = setTimeout(() => void load(search), delay);
    return () => clearTimeout(t);
  }, [search, load]);

  return (
    <section className="card people-list" aria-labelledby="people-list-title">
      <h2 id="people-list-title">Users</h2>
      <div className="field">
        <label htmlFor={searchId}>Search</label>
        <input
          id={searchId}
          type="search"
          value={search}
          placeholder="name or @user:server"
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      <p className="muted small" role="status" data-testid="people-count">
        {people.loading
          ? `Loading… ${people.users.length} of ${people.total || '?'}`
          : `${people.total} user${people.total === 1 ? '' : 's'}${people.route ? ` · via the ${people.route === 'admin-api' ? 'admin API' : 'admin room'}` : ''}`}
      </p>
      {people.note && <p className="muted small">{people.note}</p>}
      {people.error && <ErrorText error={people.error} />}
      <VirtualList
        count={people.users.length}
        rowHeight={ROW_HEIGHT}
        follow={false}
        label="Local users"
        className="people-scroller"
        renderRow={(i) => {
          const user = people.users[i];
          return user ? <UserRow user={user} /> : null;
        }}
      />
    </section>
  );
}

function ConfirmButton({
  label,
  title,
  effect,
  onConfirm,
  danger = false,
}: {
  label: string;
  title: string;
  effect: string;
  onConfirm: () => void;
  danger?: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className={danger ? 'danger-button' : undefined} onClick={() => setOpen(true)}>
        {label}
      </button>
      {open && (
        <Dialog title={title} onCancel={() => setOpen(false)} alert>
          <p className="effect">{effect}</p>
          <div className="button-row">
            <button
              type="button"
              className={danger ? 'danger-button' : 'primary'}
              onClick={() => {
                setOpen(false);
                onConfirm();
              }}
            >
              {label.replace(/…$/, '')}
            </button>
            <button type="button" onClick={() => setOpen(false)} data-autofocus>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </>
  );
}

function ResetPassword({ userId }: { userId: string }) {
  const reset = useApp((s) => s.resetPassword);
  const clipboard = useApp((s) => s.clipboard);
  const focus = useApp((s) => s.focus?.focus);
  const [signOut, setSignOut] = useState(true);
  const [typed, setTyped] = useState('');
  const [own, setOwn] = useState(false);
  const signOutId = useId();
  const ownId = useId();
  const typedId = useId();
  const problem = own && typed.length > 0 && typed.length < 10 ? 'At least 10 characters.' : null;
  return (
    <fieldset className="people-action" data-focused={focus === 'reset-password' ? 'true' : undefined}>
      <legend>Reset the password</legend>
      <p className="muted small">
        A strong password is made and put on the clipboard, cleared again after the delay in Settings. It is
        never shown, logged or sent to a room.
      </p>
      <div className="field field-check">
        <input
          id={signOutId}
          type="checkbox"
          checked={signOut}
          onChange={(e) => setSignOut(e.target.checked)}
        />
        <label htmlFor={signOutId}>Also sign out all their devices</label>
      </div>
      <div className="field field-check">
        <input id={ownId} type="checkbox" checked={own} onChange={(e) => setOwn(e.target.checked)} />
        <label htmlFor={ownId}>Type the new password myself</label>
      </div>
      {own && (
        <div className="field">
          <label htmlFor={typedId}>New password</label>
          <input
            id={typedId}
            type="password"
            autoComplete="new-password"
            value={typed}
            aria-invalid={problem !== null}
            onChange={(e) => setTyped(e.target.value)}
          />
          {problem && <p className="field-error">{problem}</p>}
        </div>
      )}
      <div className="button-row">
        <ConfirmButton
          label="Reset password…"
          title={`Reset the password of ${userId}?`}
          effect={`Their old password stops working${signOut ? ' and every device they are signed in on is signed out' : ''}. The new one goes to your clipboard.`}
          onConfirm={() => {
            void reset(userId, signOut, own && typed ? typed : null).then(() => setTyped(''));
          }}
        />
      </div>
      {clipboard?.what === 'password' && (
        <p className="clipboard-state" role="status" data-testid="clipboard-password">
          The new password is on the clipboard.{' '}
          {clipboard.clearsAt === null ? (
            'It is not cleared automatically (see Settings).'
          ) : (
            <Countdown until={clipboard.clearsAt} prefix="The clipboard clears in" />
          )}
        </p>
      )}
    </fieldset>
  );
}

function UserDetails() {
  const userId = useApp((s) => s.selectedUser);
  const details = useApp((s) => s.userDetails);
  const error = useApp((s) => s.userError);
  const signOut = useApp((s) => s.signOutDevice);
  const deactivate = useApp((s) => s.deactivateUser);
  const setAdmin = useApp((s) => s.setUserAdmin);
  const [leaveRooms, setLeaveRooms] = useState(true);
  const [erase, setErase] = useState(false);
  const leaveId = useId();
  const eraseId = useId();
  const focus = useApp((s) => s.focus?.focus);

  if (!userId)
    return (
      <section className="card people-details" aria-label="User">
        <p className="muted">
          {focus === 'reset-password'
            ? 'Choose the person whose password to reset.'
            : 'Choose someone to see their devices and what you can do.'}
        </p>
      </section>
    );
  return (
    <section className="card people-details" aria-labelledby="people-user-title">
      <h2 id="people-user-title">{details?.displayName ?? userId}</h2>
      <p className="muted">{userId}</p>
      {error && <ErrorText error={error} />}
      {details && (
        <dl className="people-facts">
          <dt>Admin</dt>
          <dd>{yesNo(details.admin)}</dd>
          <dt>Deactivated</dt>
          <dd>{yesNo(details.deactivated)}</dd>
          <dt>Last active</dt>
          <dd>{details.lastActiveAt ? dateTime(details.lastActiveAt) : 'never seen'}</dd>
        </dl>
      )}
      {details?.devices && (
        <table className="people-devices-table">
          <caption>Devices</caption>
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {details.devices.map((d) => (
              <tr key={d.deviceId}>
                <th scope="row">
                  {d.displayName ?? d.deviceId} <span className="muted small">{d.deviceId}</span>
                </th>
                <td>
                  {d.lastSeenAt ? dateTime(d.lastSeenAt) : 'never'}
                  {d.lastSeenIp ? <span className="muted small"> from {d.lastSeenIp}</span> : null}
                </td>
                <td className="row-actions">
                  <ConfirmButton
                    label="Sign out…"
                    title={`Sign out ${d.displayName ?? d.deviceId}?`}
                    effect="This device's session ends at once; whoever holds it must sign in again with the password."
                    onConfirm={() => void signOut(userId, d.deviceId)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {details?.devices === null && (
        <p className="muted small">
          Devices are listed through the admin API only (Tuwunel 1.8.1 on). The device ID is in the person's
          client under Settings → Sessions.
        </p>
      )}
      {details && !details.deactivated && (
        <div className="button-row">
          {details.devices && details.devices.length > 0 && (
            <ConfirmButton
              label="Sign out everywhere…"
              title={`Sign ${userId} out of every device?`}
              effect="Every session of this person ends; a lost or stolen phone can no longer read or send."
              danger
              onConfirm={() => void signOut(userId, null)}
            />
          )}
          {details.admin !== true ? (
            <ConfirmButton
              label="Make admin…"
              title={`Make ${userId} a server admin?`}
              effect="They join the admin room and can run every admin command."
              onConfirm={() => void setAdmin(userId, true)}
            />
          ) : (
            <ConfirmButton
              label="Remove admin…"
              title={`Remove ${userId}'s admin rights?`}
              effect="They leave the admin room and can no longer run admin commands."
              onConfirm={() => void setAdmin(userId, false)}
            />
          )}
        </div>
      )}
      {details && !details.deactivated && <ResetPassword userId={userId} />}
      {details && !details.deactivated && (
        <fieldset className="people-action">
          <legend>Deactivate</legend>
          <div className="field field-check">
            <input
              id={leaveId}
              type="checkbox"
              checked={leaveRooms}
              onChange={(e) => setLeaveRooms(e.target.checked)}
            />
            <label htmlFor={leaveId}>Leave every room</label>
          </div>
          <div className="field field-check">
            <input
              id={eraseId}
              type="checkbox"
              checked={erase}
              onChange={(e) => setErase(e.target.checked)}
            />
            <label htmlFor={eraseId}>Erase their data (Tuwunel 1.8.1 on)</label>
          </div>
          <ConfirmButton
            label="Deactivate…"
            title={`Deactivate ${userId}?`}
            effect={`They can no longer sign in; every device is signed out${leaveRooms ? ' and they leave every room' : ''}${erase ? ', and their messages are marked for erasure' : ''}. The app cannot undo this.`}
            danger
            onConfirm={() => void deactivate(userId, leaveRooms, erase)}
          />
        </fieldset>
      )}
    </section>
  );
}

function stateText(i: InviteInfo): string {
  switch (i.state) {
    case 'pending':
      return 'waiting';
    case 'used':
      return i.joined.length > 0 ? `${i.joined.join(', ')} joined` : 'used';
    case 'expired':
      return 'expired unused';
    case 'revoked':
      return 'revoked';
  }
}

/** Where the invite brings whoever joins: ahead of time, done, or why not. */
function InviteRoom({ invite }: { invite: InviteInfo }) {
  if (invite.state !== 'used' || invite.joined.length === 0)
    return <span className="muted small"> then into {invite.inviteTo}</span>;
  if (invite.inviteProblem)
    return (
      <span className="muted small" title={invite.inviteProblem}>
        {' '}
        not invited to {invite.inviteTo}: invite them from your Matrix client
      </span>
    );
  return <span className="muted small"> invited to {invite.inviteTo}</span>;
}

function InviteLifecycle() {
  const invites = useApp((s) => s.invites);
  const error = useApp((s) => s.invitesError);
  const load = useApp((s) => s.loadInvites);
  const create = useApp((s) => s.createInvite);
  const last = useApp((s) => s.lastInvite);
  const copyInstructions = useApp((s) => s.copyInstructions);
  const revokeUnused = useApp((s) => s.revokeUnusedInvites);
  const autoJoin = useApp((s) => s.autoJoin);
  const loadAutoJoin = useApp((s) => s.loadAutoJoin);
  const news = useApp((s) => s.joinedNews);
  const clipboard = useApp((s) => s.clipboard);
  const focus = useApp((s) => s.focus?.focus);
  const [expiry, setExpiry] = useState('7');
  const [inviteTo, setInviteTo] = useState('');
  const serverName = useApp((s) => s.status?.serverName ?? null);
  const expiryId = useId();
  const roomId = useId();
  const mine = (invites ?? []).filter((i) => i.issuedAt !== null || i.state !== 'pending');
  const unused = mine.filter((i) => i.state === 'pending' && (i.completed ?? 0) === 0).length;

  useEffect(() => {
    void load();
    void loadAutoJoin();
  }, [load, loadAutoJoin]);

  return (
    <section
      className="card"
      aria-labelledby="people-invites-title"
      data-focused={focus === 'invite' ? 'true' : undefined}
    >
      <h2 id="people-invites-title">Invite someone</h2>
      <p className="muted">
        A one-shot sign-up token goes to your clipboard; send it through one channel and the joining
        instructions through another. The app follows it until the person has joined.
      </p>
      {news.map((n) => (
        <p key={`${n.hint}-${n.joined.join()}`} className="banner" role="status">
          {n.state === 'used'
            ? `${n.joined.length > 0 ? n.joined.join(', ') : 'Someone'} joined with the invite ${n.hint}.${
                n.inviteProblem
                  ? ` Inviting them into the room failed: ${n.inviteProblem}`
                  : n.invitedTo
                    ? ` They were invited to ${n.invitedTo}.`
                    : ''
              }`
            : `The invite ${n.hint} expired unused.`}
        </p>
      ))}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void create(1, expiry === 'never' ? null : Number(expiry), inviteTo.trim() || null);
        }}
      >
        <div className="field">
          <label htmlFor={expiryId}>Valid for</label>
          <select id={expiryId} value={expiry} onChange={(e) => setExpiry(e.target.value)}>
            <option value="1">1 day</option>
            <option value="7">7 days</option>
            <option value="30">30 days</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={roomId}>Then invite them to (optional)</label>
          <input
            id={roomId}
            type="text"
            value={inviteTo}
            placeholder={`#family:${serverName ?? 'example.org'}`}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => setInviteTo(e.target.value)}
          />
        </div>
        {autoJoin?.rooms?.includes(inviteTo.trim()) && (
          <p className="muted small" role="status">
            New people join {inviteTo.trim()} by themselves (matrix_tuwunel_config_auto_join_rooms): inviting
            them there too would fail.
          </p>
        )}
        <button type="submit" className="primary">
          Create invite and copy it
        </button>
        <button type="button" onClick={() => void copyInstructions()}>
          Copy joining instructions
        </button>
      </form>
      {last && clipboard?.what === 'invite-token' && (
        <p className="clipboard-state" role="status">
          Invite <code>{last.hint}</code> is on the clipboard. Next: copy the joining instructions and send
          them separately.
        </p>
      )}
      <p className="muted small" data-testid="auto-join">
        {autoJoin === null
          ? 'Reading where new people land…'
          : autoJoin.rooms === null
            ? `Could not read the rooms new people join: ${autoJoin.problem}`
            : autoJoin.rooms.length > 0
              ? `New people join ${autoJoin.rooms.join(', ')} (matrix_tuwunel_config_auto_join_rooms).`
              : 'New people join no room by themselves (matrix_tuwunel_config_auto_join_rooms is not set): name the family room above and the app invites them once they joined.'}
      </p>
      {error && <ErrorText error={error} />}
      {mine.length > 0 && (
        <table className="invite-table">
          <caption className="sr-only">Invites this app issued</caption>
          <thead>
            <tr>
              <th scope="col">Invite</th>
              <th scope="col">Issued</th>
              <th scope="col">State</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {mine.map((i) => (
              <tr key={i.id} data-state={i.state}>
                <th scope="row">
                  <code>{i.hint}</code>
                </th>
                <td>{i.issuedAt ? dateTime(i.issuedAt) : ''}</td>
                <td>
                  <span className={`tag invite-${i.state}`}>{stateText(i)}</span>
                  {i.inviteTo && <InviteRoom invite={i} />}
                </td>
                <td>{i.expiresAt === null ? 'never' : dateTime(i.expiresAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {unused > 0 && (
        <div className="button-row">
          <ConfirmButton
            label={`Revoke ${unused} unused invite${unused === 1 ? '' : 's'}…`}
            title="Revoke every unused invite?"
            effect="Nobody can sign up with them any more; invites that were used are not touched."
            danger
            onConfirm={() => void revokeUnused()}
          />
        </div>
      )}
    </section>
  );
}

function TellEveryone() {
  const send = useApp((s) => s.sendNotice);
  const focus = useApp((s) => s.focus?.focus);
  const [text, setText] = useState(RESTART_NOTICE);
  const textId = useId();
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (focus === 'notice') ref.current?.focus();
  }, [focus]);
  return (
    <section
      className="card"
      aria-labelledby="people-notice-title"
      data-focused={focus === 'notice' ? 'true' : undefined}
    >
      <h2 id="people-notice-title">Tell everyone</h2>
      <p className="muted">
        A server notice to every local user (Tuwunel 1.8.2 on): it shows as a message from the server in their
        client.
      </p>
      <div className="field">
        <label htmlFor={textId}>Notice</label>
        <textarea
          id={textId}
          rows={2}
          maxLength={4000}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      <div className="button-row">
        <ConfirmButton
          label="Send to everyone…"
          title="Send this notice to every user?"
          effect={`“${text.trim()}” goes to every local user as a server notice.`}
          onConfirm={() => void send(text)}
        />
      </div>
    </section>
  );
}

export function PeoplePanel() {
  return (
    <section className="panel" aria-labelledby="people-title">
      <h1 id="people-title">People</h1>
      <div className="people-grid">
        <UserList />
        <UserDetails />
      </div>
      <div className="stack">
        <InviteLifecycle />
        <TellEveryone />
      </div>
    </section>
  );
}
