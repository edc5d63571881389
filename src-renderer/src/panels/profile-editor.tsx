import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ErrorInfo, FieldIssue, ProfileDraft } from '../../../src-main/ipc/contract';
import { ErrorText } from '../components/error-text';
import { type BackupRunChange, backupRunToConfirm } from '../lib/backup-check';
import { getPath, setPath } from '../lib/draft-path';
import { useApp } from '../store/store';
import { BackupConfirm } from './backup-confirm';

export type Kind = 'text' | 'port' | 'number' | 'checkbox' | 'units' | 'jump' | 'host' | 'code';

export interface FieldDef {
  path: string;
  label: string;
  kind?: Kind;
  help?: string;
  placeholder?: string;
  optional?: boolean;
  /** Emptying this field removes the whole object at this path (a section that is off without it). */
  clears?: string;
}

export interface SectionDef {
  title: string;
  help?: string;
  fields: FieldDef[];
}

function hostFields(role: 'homeserver' | 'deploy'): FieldDef[] {
  const p = `hosts.${role}`;
  return [
    {
      path: `${p}.address`,
      label: 'Address',
      help: 'Host name or IP address, as you would give it to ssh.',
      placeholder: role === 'homeserver' ? '192.168.1.243' : '192.168.1.245',
    },
    { path: `${p}.port`, label: 'Port', kind: 'port', placeholder: '22' },
    { path: `${p}.user`, label: 'User', placeholder: role === 'homeserver' ? 'admin' : 'root' },
    { path: `${p}.sudo`, label: 'Use sudo for changes', kind: 'checkbox' },
    {
      path: `${p}.identityFile`,
      label: 'Private key file',
      optional: true,
      help: 'On this computer. Without one, the app tries your ssh-agent, then a stored SSH password.',
      placeholder: '~/.ssh/id_ed25519',
    },
    { path: `${p}.jump`, label: 'Reach through', kind: 'jump', optional: true },
  ];
}

export const SECTIONS: SectionDef[] = [
  {
    title: 'Server',
    fields: [
      {
        path: 'serverName',
        label: 'Server name',
        help: 'The part after the colon in your Matrix IDs: for @you:example.org it is example.org.',
        placeholder: 'example.org',
      },
      {
        path: 'publicUrl',
        label: 'Public URL',
        help: 'Where apps and other servers reach Tuwunel.',
        placeholder: 'https://matrix.example.org',
      },
      { path: 'name', label: 'Name', help: 'What the tray and this window call it.' },
      {
        path: 'apexUrl',
        label: 'Apex URL',
        optional: true,
        help: 'Where /.well-known/matrix is served; empty means https://<server name>.',
      },
      {
        path: 'caFile',
        label: 'Extra CA certificate',
        optional: true,
        help: 'A PEM file on this computer, when the server’s certificate comes from your own CA.',
      },
    ],
  },
  {
    title: 'Homeserver host',
    help: 'The machine (or VM) that runs the Matrix services in docker.',
    fields: hostFields('homeserver'),
  },
  {
    title: 'Deploy host',
    help: 'The machine with your matrix-docker-ansible-deploy checkout, where the playbook runs.',
    fields: hostFields('deploy'),
  },
  {
    title: 'Tuwunel',
    fields: [
      { path: 'homeserver.version', label: 'Version pin', placeholder: 'v1.7.0' },
      { path: 'homeserver.image', label: 'Image', placeholder: 'ghcr.io/matrix-construct/tuwunel' },
      { path: 'homeserver.dataDir', label: 'Data directory', placeholder: '/matrix/tuwunel/data' },
      { path: 'homeserver.configDir', label: 'Config directory', placeholder: '/matrix/tuwunel/config' },
      { path: 'units', label: 'Units', kind: 'units', help: 'One systemd unit per line.' },
    ],
  },
  {
    title: 'Playbook',
    fields: [
      { path: 'deploy.dir', label: 'Playbook folder', placeholder: '/root/matrix-deploy' },
      { path: 'deploy.inventory', label: 'Inventory', placeholder: 'inventory/hosts' },
      {
        path: 'deploy.varsFile',
        label: 'vars.yml',
        help: 'Your server’s settings file, inside the playbook folder.',
        placeholder: 'inventory/host_vars/matrix.example.org/vars.yml',
      },
      { path: 'deploy.vaultPasswordFile', label: 'Vault password file', placeholder: '/root/.vault_pass' },
      { path: 'deploy.logDir', label: 'Log folder', optional: true, placeholder: '/root/matrix-deploy/logs' },
    ],
  },
  {
    title: 'Vault',
    help: 'Where the registration token is kept. Leave empty if you do not use one.',
    fields: [
      {
        path: 'vault.repo',
        label: 'Repository on this computer',
        optional: true,
        placeholder: '~/homelab-ansible',
      },
      {
        path: 'vault.file',
        label: 'Vault file',
        optional: true,
        placeholder: 'inventory/group_vars/all/vault.yml',
      },
      {
        path: 'vault.key',
        label: 'Token key',
        optional: true,
        placeholder: 'vault_matrix_registration_token',
      },
      {
        path: 'vault.deployCheckout',
        label: 'Checkout on the deploy host',
        optional: true,
        placeholder: '/root/homelab-ansible',
      },
    ],
  },
  {
    title: 'Proxmox Backup Server',
    help:
      'Lists the snapshots of the homeserver VM read-only with proxmox-backup-client on the chosen host ' +
      '(usually the deploy host), and checks that the newest is recent and that a verify job passed. ' +
      'Use an API token with the DatastoreAudit role; its secret stays in a file on that host.',
    fields: [
      {
        path: 'checks.pbs.repository',
        label: 'Repository',
        optional: true,
        clears: 'checks.pbs',
        help: 'user@realm!token@server:datastore, as PBS_REPOSITORY takes it.',
        placeholder: 'backup@pbs!tray@192.168.1.250:nas-primary',
      },
      { path: 'checks.pbs.group', label: 'Backup group', placeholder: 'vm/111' },
      { path: 'checks.pbs.namespace', label: 'Namespace', optional: true, placeholder: 'matrix' },
      {
        path: 'checks.pbs.passwordFile',
        label: 'Token secret file',
        optional: true,
        help: 'On that host (PBS_PASSWORD_FILE); the app never reads it.',
        placeholder: '/root/.pbs-token',
      },
      {
        path: 'checks.pbs.fingerprint',
        label: 'Server fingerprint',
        optional: true,
        help: 'For a self-signed certificate: Dashboard → Show Fingerprint in PBS.',
        placeholder: '64:d3:ff:…',
      },
      // The schema's default host for this check is the deploy host; the select shows it when unset.
      { path: 'checks.pbs.host', label: 'Runs on', kind: 'host', placeholder: 'deploy' },
      { path: 'checks.pbs.maxAgeHours', label: 'Fail after (hours)', kind: 'number', placeholder: '26' },
    ],
  },
  {
    title: 'Backup check',
    help:
      'For other backups: shell code that prints the time of the newest backup (epoch seconds or ISO 8601) on its last line. ' +
      'Every status poll runs it on the chosen host, through sudo when that host uses sudo.',
    fields: [
      {
        path: 'checks.backup.command',
        label: 'Command',
        kind: 'code',
        optional: true,
        clears: 'checks.backup',
        placeholder: 'stat -c %Y /backup/latest.tar.zst',
      },
      { path: 'checks.backup.host', label: 'Runs on', kind: 'host' },
      { path: 'checks.backup.maxAgeHours', label: 'Warn after (hours)', kind: 'number', placeholder: '26' },
    ],
  },
  {
    title: 'SSH',
    fields: [
      {
        path: 'knownHostsFile',
        label: 'known_hosts file',
        optional: true,
        placeholder: '~/.ssh/known_hosts',
      },
    ],
  },
];

export const KNOWN_PATHS = new Set(SECTIONS.flatMap((s) => s.fields.map((f) => f.path)));

export function fromInput(def: FieldDef, raw: string | boolean): unknown {
  if (def.kind === 'checkbox') return raw === true;
  const text = String(raw);
  if (def.kind === 'units') {
    const units = text.split(/[\s,]+/).filter(Boolean);
    return units.length ? units : undefined;
  }
  if (text.trim() === '') return undefined;
  // The command runs as written: not trimmed, not normalised.
  if (def.kind === 'code') return text;
  // A number that is not one stays text so the profile schema names the problem.
  if (def.kind === 'port') return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
  if (def.kind === 'number') return /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : text;
  return text;
}

function toInput(def: FieldDef, value: unknown): string | boolean {
  if (def.kind === 'checkbox') return value === true;
  if (def.kind === 'units') return Array.isArray(value) ? value.join('\n') : '';
  return value === undefined || value === null ? '' : String(value);
}

export function ProfileField({
  def,
  value,
  issues,
  onChange,
  onBlur,
}: {
  def: FieldDef;
  value: unknown;
  issues: string[];
  onChange: (v: unknown) => void;
  onBlur?: () => void;
}) {
  const id = useId();
  const shown = toInput(def, value);
  const describedBy = [issues.length ? `${id}-error` : null, def.help ? `${id}-help` : null]
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    'aria-invalid': issues.length > 0,
    'aria-describedby': describedBy || undefined,
    onBlur,
  };
  let input: React.ReactNode;
  if (def.kind === 'checkbox') {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={shown === true}
        onChange={(e) => onChange(fromInput(def, e.target.checked))}
      />
    );
  } else if (def.kind === 'units' || def.kind === 'code') {
    input = (
      <textarea
        {...common}
        rows={def.kind === 'code' ? 3 : 5}
        className="mono"
        spellCheck={false}
        value={String(shown)}
        placeholder={def.placeholder}
        onChange={(e) => onChange(fromInput(def, e.target.value))}
      />
    );
  } else if (def.kind === 'host') {
    input = (
      <select
        {...common}
        value={String(shown) || def.placeholder || 'homeserver'}
        onChange={(e) => onChange(e.target.value)}
      >
        <option value="homeserver">the homeserver host</option>
        <option value="deploy">the deploy host</option>
      </select>
    );
  } else if (def.kind === 'jump') {
    input = (
      <select {...common} value={String(shown)} onChange={(e) => onChange(fromInput(def, e.target.value))}>
        <option value="">Direct connection</option>
        <option value="homeserver">the homeserver host</option>
        <option value="deploy">the deploy host</option>
      </select>
    );
  } else {
    input = (
      <input
        {...common}
        type="text"
        inputMode={def.kind === 'port' ? 'numeric' : def.kind === 'number' ? 'decimal' : undefined}
        value={String(shown)}
        placeholder={def.placeholder}
        autoComplete="off"
        spellCheck={false}
        onChange={(e) => onChange(fromInput(def, e.target.value))}
      />
    );
  }
  return (
    <div className={def.kind === 'checkbox' ? 'field field-check' : 'field'}>
      <label htmlFor={id}>
        {def.label}
        {def.optional && <span className="optional"> (optional)</span>}
      </label>
      {input}
      {def.help && (
        <p id={`${id}-help`} className="field-help">
          {def.help}
        </p>
      )}
      {issues.length > 0 && (
        <p id={`${id}-error`} className="field-error">
          {issues.join(' ')}
        </p>
      )}
    </div>
  );
}

export const VALIDATE_DELAY_MS = 250;

/** The schema says a value is missing or of the wrong type in zod's words; a person reads these instead. */
export function issueText(message: string): string {
  if (/^Invalid input: expected \w+, received undefined$/.test(message)) return 'Fill this in.';
  if (/^Invalid input: expected number, received string$/.test(message)) return 'Must be a number.';
  return message;
}

/** Issues by field path, in a person's words. */
export function issuesByField(issues: readonly FieldIssue[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const i of issues) m.set(i.field, [...(m.get(i.field) ?? []), issueText(i.message)]);
  return m;
}

/**
 * The profile as a form. Every change is checked by the real profile schema in the main process (so the
 * messages are the ones loading the file would give), a quarter second after typing stops.
 */
export function ProfileEditor({
  id,
  initial,
  initialIssues = [],
  onSaved,
  onCancel,
  saveLabel = 'Save',
}: {
  id: string | null;
  initial: ProfileDraft;
  initialIssues?: FieldIssue[];
  onSaved: (id: string) => void;
  onCancel?: () => void;
  saveLabel?: string;
}) {
  const validate = useApp((s) => s.validateProfile);
  const save = useApp((s) => s.saveProfile);
  const savedDraft = useApp((s) => s.openProfileDraft);
  const [draft, setDraft] = useState<ProfileDraft>(initial);
  const [issues, setIssues] = useState<FieldIssue[]>(initialIssues);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  /** A new or changed backup command waits for the user's yes, with the exact draft it came with. */
  const [confirming, setConfirming] = useState<{ run: BackupRunChange; draft: ProfileDraft } | null>(null);
  const seq = useRef(0);

  useEffect(() => {
    const mine = ++seq.current;
    const t = setTimeout(async () => {
      const found = await validate(draft);
      if (found && mine === seq.current) setIssues(found);
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(t);
  }, [draft, validate]);

  const byField = useMemo(() => issuesByField(issues), [issues]);
  const elsewhere = issues.filter((i) => !KNOWN_PATHS.has(i.field));

  async function submit(): Promise<void> {
    setSaving(true);
    setError(null);
    // Compared with what is saved now, not with what the editor opened: only the file says what runs.
    const saved = id === null ? null : await savedDraft(id);
    const run = backupRunToConfirm(saved?.ok ? saved.value.draft : null, draft);
    setSaving(false);
    if (run) setConfirming({ run, draft });
    else await store(draft);
  }

  async function store(toSave: ProfileDraft): Promise<void> {
    setSaving(true);
    seq.current += 1;
    const r = await save(id, toSave);
    setSaving(false);
    if (r.ok) return onSaved(r.id);
    if (r.error.issues) setIssues(r.error.issues);
    setError(r.error);
  }

  return (
    <form
      className="profile-editor"
      noValidate
      aria-label="Profile"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {elsewhere.length > 0 && (
        <ul className="issue-summary" aria-label="Other problems">
          {elsewhere.map((i) => (
            <li key={`${i.field}:${i.message}`}>
              {i.field ? <code>{i.field}</code> : 'Profile'}: {issueText(i.message)}
            </li>
          ))}
        </ul>
      )}
      {SECTIONS.map((section) => (
        <fieldset key={section.title}>
          <legend>{section.title}</legend>
          {section.help && <p className="field-help">{section.help}</p>}
          <div className="field-grid">
            {section.fields.map((def) => (
              <ProfileField
                key={def.path}
                def={def}
                value={getPath(draft, def.path)}
                issues={byField.get(def.path) ?? []}
                onChange={(v) => {
                  setDraft((d) =>
                    v === undefined && def.clears
                      ? setPath(d, def.clears, undefined)
                      : setPath(d, def.path, v),
                  );
                  // The message judged the old value; the next check speaks for the new one.
                  setIssues((old) => old.filter((i) => i.field !== def.path));
                }}
              />
            ))}
          </div>
        </fieldset>
      ))}
      {error && <ErrorText error={error} />}
      {confirming && (
        <BackupConfirm
          run={confirming.run}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            const toSave = confirming.draft;
            setConfirming(null);
            void store(toSave);
          }}
        />
      )}
      <div className="button-row">
        <button type="submit" className="primary" disabled={saving}>
          {saving ? 'Saving…' : saveLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
