import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { ErrorInfo, FieldIssue, HostRole, ProfileDraft } from '../../../src-main/ipc/contract';
import { ErrorText } from '../components/error-text';
import { HostKeyChanged } from '../components/host-key-changed';
import { type BackupRunChange, backupRunToConfirm } from '../lib/backup-check';
import { getPath, setPath } from '../lib/draft-path';
import { HOST_ORDER, HOST_TITLE } from '../lib/format';
import type { DraftResult } from '../store/settings-slice';
import { useApp } from '../store/store';
import { BackupConfirm } from './backup-confirm';
import {
  type FieldDef,
  issuesByField,
  issueText,
  KNOWN_PATHS,
  ProfileField,
  SECTIONS,
  VALIDATE_DELAY_MS,
} from './profile-editor';
import { SecretsEditor } from './secrets-editor';

type Step = 'server' | 'machines' | 'connect';

const STEPS: { step: Step; title: string }[] = [
  { step: 'server', title: 'Your server' },
  { step: 'machines', title: 'Its machines' },
  { step: 'connect', title: 'Connect' },
];

/** The fields each guided step asks for, by profile path; the rest waits in "More settings". */
const SERVER_FIELDS = ['serverName', 'publicUrl', 'name'];
const MACHINE_GROUPS: { title: string; help: string; fields: string[] }[] = [
  {
    title: 'Homeserver host',
    help: 'The machine (or VM) that runs the Matrix services in docker.',
    fields: ['address', 'port', 'user', 'sudo', 'identityFile', 'jump'].map((f) => `hosts.homeserver.${f}`),
  },
  {
    title: 'Deploy host',
    help: 'The machine with your matrix-docker-ansible-deploy checkout, where the playbook runs. It may be the same machine.',
    fields: [
      ...['address', 'port', 'user', 'sudo', 'identityFile', 'jump'].map((f) => `hosts.deploy.${f}`),
      'deploy.dir',
      'deploy.varsFile',
    ],
  },
];
const GUIDED = new Set([...SERVER_FIELDS, ...MACHINE_GROUPS.flatMap((g) => g.fields)]);
const DEFS = new Map(SECTIONS.flatMap((s) => s.fields.map((f): [string, FieldDef] => [f.path, f])));
const MORE = SECTIONS.map((s) => ({ ...s, fields: s.fields.filter((f) => !GUIDED.has(f.path)) })).filter(
  (s) => s.fields.length > 0,
);
const MORE_PATHS = new Set(MORE.flatMap((s) => s.fields.map((f) => f.path)));

/** Where a new profile starts: the runbook's layout (sudo on the homeserver), everything else typed. */
const START: ProfileDraft = { hosts: { homeserver: { sudo: true }, deploy: {} }, deploy: {} };

/** Values that follow the server name until the user types their own (the playbook's own conventions). */
const FOLLOWS_SERVER_NAME: Record<string, (server: string) => string> = {
  publicUrl: (s) => `https://matrix.${s}`,
  name: (s) => s,
  'deploy.varsFile': (s) => `inventory/host_vars/matrix.${s}/vars.yml`,
};

function def(path: string): FieldDef {
  const found = DEFS.get(path);
  if (!found) throw new Error(`no profile field ${path}`);
  return found;
}

function pathsWithValues(draft: ProfileDraft): Set<string> {
  return new Set([...KNOWN_PATHS].filter((p) => getPath(draft, p) !== undefined));
}

interface FormState {
  draft: ProfileDraft;
  issues: FieldIssue[];
  /** Fields whose messages show: typed in, left, or on a step the user tried to leave. */
  touched: ReadonlySet<string>;
  /** Fields the user (or an import) filled: the server name no longer fills them in. */
  edited: ReadonlySet<string>;
}

function Field({
  path,
  form,
  byField,
  onChange,
  onBlur,
}: {
  path: string;
  form: FormState;
  byField: Map<string, string[]>;
  onChange: (path: string, value: unknown) => void;
  onBlur: (path: string) => void;
}) {
  const d = def(path);
  return (
    <ProfileField
      def={d}
      value={getPath(form.draft, path)}
      issues={form.touched.has(path) ? (byField.get(path) ?? []) : []}
      onChange={(v) => onChange(path, v)}
      onBlur={() => onBlur(path)}
    />
  );
}

function Import({ onDraft }: { onDraft: (draft: ProfileDraft, issues: FieldIssue[]) => void }) {
  const importFile = useApp((s) => s.importProfileFile);
  const importYaml = useApp((s) => s.importProfileYaml);
  const [yaml, setYaml] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const yamlId = useId();

  async function take(r: DraftResult): Promise<void> {
    if (!r.ok) setError(r.error);
    else if (r.value.draft) onDraft(r.value.draft, r.value.issues);
  }

  return (
    <details className="import card">
      <summary className="disclosure">Already have a profile? Import it instead</summary>
      <p className="muted">
        A YAML profile made earlier, copied from another computer, or printed by <code>npm run lab</code>. It
        fills in this form for you to check.
      </p>
      <div className="button-row">
        <button type="button" onClick={async () => take(await importFile())}>
          Choose a file…
        </button>
      </div>
      <label htmlFor={yamlId}>Or paste it here</label>
      <textarea
        id={yamlId}
        className="mono"
        rows={5}
        spellCheck={false}
        value={yaml}
        onChange={(e) => setYaml(e.target.value)}
      />
      <div className="button-row">
        <button
          type="button"
          disabled={yaml.trim() === ''}
          onClick={async () => take(await importYaml(yaml))}
        >
          Use this YAML
        </button>
      </div>
      <p className="muted" data-testid="import-secrets-note">
        A profile from a file or pasted here brings no secrets, and never uses those stored for another
        profile, even one with the same name or hosts: you enter its passwords yourself, after trusting its
        hosts.
      </p>
      {error && <ErrorText error={error} />}
    </details>
  );
}

function HostTestRow({ host }: { host: HostRole }) {
  const test = useApp((s) => s.hostTests[host]);
  const run = useApp((s) => s.testHost);
  const prompt = useApp((s) => s.promptHostKey);
  // An unknown key is a question for the user, not a failure: the row says so and can ask again.
  const newKey =
    test.state === 'failed' && test.error.code === 'HostKeyUnknown' ? test.error.hostKey : undefined;
  return (
    <li className="host-test" data-testid={`host-test-${host}`}>
      <div className="host-test-head">
        <strong>{HOST_TITLE[host]}</strong>
        <span className={newKey ? 'test-state' : `test-state test-${test.state}`} role="status">
          {test.state === 'idle' && 'Not tested yet'}
          {test.state === 'testing' && 'Connecting…'}
          {test.state === 'ok' && '✓ Connected'}
          {test.state === 'failed' &&
            (newKey ? 'Its host key waits for you to check it' : '✕ Could not connect')}
        </span>
        {newKey && (
          <button type="button" onClick={() => prompt(newKey, 'onboarding')}>
            Check the fingerprint
          </button>
        )}
        <button
          type="button"
          disabled={test.state === 'testing'}
          onClick={() => void run(host)}
          aria-label={`Test the ${HOST_TITLE[host].toLowerCase()}`}
        >
          {test.state === 'idle' ? 'Test the connection' : 'Test again'}
        </button>
      </div>
      {test.state === 'ok' && (
        <p className="muted">
          {test.result.target}: {test.result.sentence}
        </p>
      )}
      {test.state === 'failed' && !newKey && <ErrorText error={test.error} live={false} />}
      {test.state === 'failed' && test.error.code === 'HostKeyChanged' && (
        <HostKeyChanged host={host} error={test.error} />
      )}
    </li>
  );
}

function Connect({ onBack }: { onBack: () => void }) {
  const tests = useApp((s) => s.hostTests);
  const testHost = useApp((s) => s.testHost);
  const finish = useApp((s) => s.finishOnboarding);
  const allOk = HOST_ORDER.every((h) => tests[h].state === 'ok');
  return (
    <div className="stack">
      <p>
        The profile is saved. Now test each machine. The first time, the app shows the machine’s key
        fingerprint (SHA256): compare it with the machine before you trust it, so you know you reached the
        right one.
      </p>
      <ul className="host-tests">
        {HOST_ORDER.map((h) => (
          <HostTestRow key={h} host={h} />
        ))}
      </ul>
      <details className="card">
        <summary className="disclosure">Passwords and passphrases</summary>
        <p className="muted">
          Stored in this computer’s keychain, never shown again. The sudo password is needed when sudo asks
          for one; the vault password for the registration token.
        </p>
        <SecretsEditor />
      </details>
      <div className="button-row">
        <button type="button" onClick={() => HOST_ORDER.forEach((h) => void testHost(h))}>
          Test both
        </button>
        <button type="button" className={allOk ? 'primary' : undefined} onClick={() => void finish()}>
          {allOk ? 'Open the dashboard' : 'Open the dashboard anyway'}
        </button>
        <button type="button" className="link-button" onClick={onBack}>
          Back to the machines
        </button>
      </div>
    </div>
  );
}

/**
 * First run, as a guided form: the server (name per the Matrix grammar, its public URL), then its two
 * machines, checked by the real profile schema as you type; then each machine's connection tested and its
 * host key trusted by fingerprint. Importing a YAML profile is the other way in: it fills the same form.
 */
export function Onboarding() {
  const validate = useApp((s) => s.validateProfile);
  const save = useApp((s) => s.saveProfile);
  const savedDraft = useApp((s) => s.openProfileDraft);
  const [step, setStep] = useState<Step>('server');
  const [form, setForm] = useState<FormState>({
    draft: START,
    issues: [],
    touched: new Set(),
    edited: new Set(),
  });
  const [moreOpen, setMoreOpen] = useState(false);
  const [savedId, setSavedId] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [confirming, setConfirming] = useState<{ run: BackupRunChange; draft: ProfileDraft } | null>(null);
  const seq = useRef(0);
  const formRef = useRef<HTMLFormElement>(null);
  const index = STEPS.findIndex((s) => s.step === step);

  useEffect(() => {
    const mine = ++seq.current;
    const judged = form.draft;
    const t = setTimeout(async () => {
      const found = await validate(judged);
      // Only about the draft it judged: an import (or a save's verdict) may have replaced it while the check
      // was on its way, before this effect ran again for the new draft.
      if (found && mine === seq.current) setForm((f) => (f.draft === judged ? { ...f, issues: found } : f));
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(t);
  }, [form.draft, validate]);

  const byField = useMemo(() => issuesByField(form.issues), [form.issues]);
  const elsewhere = form.issues.filter((i) => !KNOWN_PATHS.has(i.field));

  function change(path: string, value: unknown): void {
    setForm((f) => {
      const d = def(path);
      let draft =
        value === undefined && d.clears
          ? setPath(f.draft, d.clears, undefined)
          : setPath(f.draft, path, value);
      const changed = [path];
      if (path === 'serverName') {
        const server = typeof value === 'string' ? value.trim() : '';
        for (const [follower, make] of Object.entries(FOLLOWS_SERVER_NAME)) {
          if (f.edited.has(follower)) continue;
          draft = setPath(draft, follower, server ? make(server) : undefined);
          changed.push(follower);
        }
      }
      return {
        ...f,
        draft,
        // A message is about the value it judged: a changed field waits for the next check's verdict.
        issues: f.issues.filter((i) => !changed.includes(i.field)),
        touched: new Set(f.touched).add(path),
        edited: new Set(f.edited).add(path),
      };
    });
  }

  function blur(path: string): void {
    setForm((f) => (f.touched.has(path) ? f : { ...f, touched: new Set(f.touched).add(path) }));
  }

  /** Checks now (not after the typing delay) and shows every message among `paths`; returns those. */
  async function settle(paths: Iterable<string>): Promise<FieldIssue[]> {
    seq.current += 1;
    const found = (await validate(form.draft)) ?? form.issues;
    const wanted = new Set(paths);
    setForm((f) => ({ ...f, issues: found, touched: new Set([...f.touched, ...wanted]) }));
    const bad = found.filter((i) => wanted.has(i.field) || !KNOWN_PATHS.has(i.field));
    if (bad.some((i) => MORE_PATHS.has(i.field))) setMoreOpen(true);
    // After React has drawn the messages: the first field that has one gets the focus.
    setTimeout(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(), 0);
    return bad;
  }

  async function next(): Promise<void> {
    if (step === 'server') {
      if ((await settle(SERVER_FIELDS)).length === 0) setStep('machines');
      return;
    }
    const bad = await settle(KNOWN_PATHS);
    if (bad.length > 0) {
      if (bad.some((i) => SERVER_FIELDS.includes(i.field))) setStep('server');
      return;
    }
    setSaving(true);
    setError(null);
    // Compared with what is saved now: only the file says what the polls run.
    const saved = savedId === null ? null : await savedDraft(savedId);
    const run = backupRunToConfirm(saved?.ok ? saved.value.draft : null, form.draft);
    setSaving(false);
    if (run) setConfirming({ run, draft: form.draft });
    else await store(form.draft);
  }

  async function store(toSave: ProfileDraft): Promise<void> {
    setSaving(true);
    seq.current += 1;
    const r = await save(savedId, toSave);
    setSaving(false);
    if (r.ok) {
      setSavedId(r.id);
      setStep('connect');
      return;
    }
    if (r.error.issues) setForm((f) => ({ ...f, issues: r.error.issues ?? f.issues }));
    setError(r.error);
  }

  function imported(draft: ProfileDraft, issues: FieldIssue[]): void {
    const filled = pathsWithValues(draft);
    setForm({ draft, issues, touched: new Set(KNOWN_PATHS), edited: filled });
    if (issues.some((i) => MORE_PATHS.has(i.field))) setMoreOpen(true);
    setStep(issues.some((i) => SERVER_FIELDS.includes(i.field)) ? 'server' : 'machines');
  }

  const field = (path: string) => (
    <Field key={path} path={path} form={form} byField={byField} onChange={change} onBlur={blur} />
  );

  return (
    <main className="onboarding" aria-labelledby="onboarding-title">
      <header>
        <h1 id="onboarding-title">Set up Homeserver Tray</h1>
        <ol className="step-list" aria-label="Steps">
          {STEPS.map((s, i) => (
            <li
              key={s.step}
              aria-current={i === index ? 'step' : undefined}
              className={i < index ? 'done' : ''}
            >
              <span className="step-number">{i < index ? '✓' : i + 1}</span> {s.title}
            </li>
          ))}
        </ol>
        <p className="sr-only" aria-live="polite">
          Step {index + 1} of 3: {STEPS[index]?.title}
        </p>
      </header>
      {step === 'connect' ? (
        <Connect onBack={() => setStep('machines')} />
      ) : (
        <form
          ref={formRef}
          className="guided"
          noValidate
          aria-label={step === 'server' ? 'Your server' : 'Its machines'}
          onSubmit={(e) => {
            e.preventDefault();
            void next();
          }}
        >
          {step === 'server' && (
            <>
              <p className="lead">
                Homeserver Tray watches your Matrix homeserver (Tuwunel, installed with
                matrix-docker-ansible-deploy) and turns your runbook into buttons. First, which server is it?
              </p>
              <fieldset>
                <legend>Your Matrix server</legend>
                <div className="field-stack">{SERVER_FIELDS.map(field)}</div>
              </fieldset>
            </>
          )}
          {step === 'machines' && (
            <>
              <p className="lead">
                The app reaches your server over SSH, like you do. Which machines, and as whom?
              </p>
              <div className="machine-grid">
                {MACHINE_GROUPS.map((g) => (
                  <fieldset key={g.title}>
                    <legend>{g.title}</legend>
                    <p className="field-help">{g.help}</p>
                    <div className="machine-fields">{g.fields.map(field)}</div>
                  </fieldset>
                ))}
              </div>
              <details
                className="advanced card"
                open={moreOpen}
                onToggle={(e) => setMoreOpen(e.currentTarget.open)}
              >
                <summary className="disclosure">More settings (paths, vault, backup check)</summary>
                <p className="muted">Empty fields use the playbook’s usual layout, shown in grey.</p>
                {MORE.map((s) => (
                  <fieldset key={s.title}>
                    <legend>{s.title}</legend>
                    {s.help && <p className="field-help">{s.help}</p>}
                    <div className="field-grid">{s.fields.map((f) => field(f.path))}</div>
                  </fieldset>
                ))}
              </details>
            </>
          )}
          {elsewhere.length > 0 && form.touched.size > 0 && (
            <ul className="issue-summary" aria-label="Other problems">
              {elsewhere.map((i) => (
                <li key={`${i.field}:${i.message}`}>
                  {i.field ? <code>{i.field}</code> : 'Profile'}: {issueText(i.message)}
                </li>
              ))}
            </ul>
          )}
          {error && <ErrorText error={error} />}
          <div className="button-row">
            {step === 'machines' && (
              <button type="button" onClick={() => setStep('server')}>
                Back
              </button>
            )}
            <button type="submit" className="primary" disabled={saving}>
              {step === 'server' ? 'Continue' : saving ? 'Saving…' : 'Save and test the connection'}
            </button>
          </div>
          {step === 'server' && <Import onDraft={imported} />}
        </form>
      )}
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
    </main>
  );
}
