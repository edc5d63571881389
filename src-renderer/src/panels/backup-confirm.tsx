import { Dialog } from '../components/dialog';
import { type BackupRunChange, revealHidden } from '../lib/backup-check';
import { duration, HOST_TITLE } from '../lib/format';
import { useApp } from '../store/store';

/**
 * Asked before a profile with a new or changed backup command is saved: the command exactly as it will
 * run (hidden characters shown by code point), on which host, how often and as whom.
 */
export function BackupConfirm({
  run,
  onConfirm,
  onCancel,
}: {
  run: BackupRunChange;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const every = useApp((s) => s.settings?.pollIntervalSeconds ?? null);
  const host = HOST_TITLE[run.host].toLowerCase();
  const parts = revealHidden(run.command);
  const hidden = parts.filter((p) => 'hidden' in p).length;
  return (
    <Dialog title={`Run this command on the ${host} at every check?`} onCancel={onCancel} alert wide>
      <p className="effect" data-testid="backup-effect">
        {run.change === 'new'
          ? 'This profile brings a backup check: '
          : 'This profile changes the backup check: '}
        Homeserver Tray will run the shell code below on the {host}
        {run.target && ` (${run.target})`} at every status poll
        {every !== null && ` (every ${duration(every * 1000)})`},{' '}
        {run.asRoot ? 'as root, through sudo' : `as ${run.user ?? 'the SSH user'}`}.
      </p>
      <pre className="command-verbatim" data-testid="backup-command">
        {parts.map((p, i) =>
          'hidden' in p ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one fixed string, in order
            <mark key={i} className="hidden-char">{`⟨${p.hidden}⟩`}</mark>
          ) : (
            p.text
          ),
        )}
      </pre>
      {hidden > 0 && (
        <p className="field-error" data-testid="backup-hidden">
          It contains {hidden === 1 ? 'a character' : `${hidden} characters`} that would print as nothing,
          shown here as ⟨U+…⟩. Check the profile before you trust it.
        </p>
      )}
      <p className="field-help">
        It comes from the profile (<code>checks.backup.command</code>). Only save if you know what it does.
      </p>
      <div className="button-row">
        <button type="button" className="danger-button" onClick={onConfirm}>
          Save and run it at every check
        </button>
        <button type="button" onClick={onCancel} data-autofocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
