import { useId, useState } from 'react';
import type { ErrorInfo, FieldIssue, HostRole, ProfileDraft } from '../../../src-main/ipc/contract';
import { ErrorText } from '../components/error-text';
import { HostKeyChanged } from '../components/host-key-changed';
import { HOST_ORDER, HOST_TITLE } from '../lib/format';
import type { DraftResult } from '../store/settings-slice';
import { useApp } from '../store/store';
import { ProfileEditor } from './profile-editor';
import { SecretsEditor } from './secrets-editor';

type Step =
  | { name: 'start' }
  | { name: 'edit'; draft: ProfileDraft; issues: FieldIssue[] }
  | { name: 'test' };

function Start({ onDraft }: { onDraft: (draft: ProfileDraft, issues: FieldIssue[]) => void }) {
  const example = useApp((s) => s.exampleProfileDraft);
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
    <div className="stack">
      <p>
        Homeserver Tray watches one Matrix homeserver (Tuwunel deployed with matrix-docker-ansible-deploy)
        over SSH, and turns its runbook into buttons. It needs a profile: where the homeserver VM and the
        deploy host are, and how to log in.
      </p>
      <div className="choice-grid">
        <section className="card" aria-labelledby="start-example">
          <h2 id="start-example">Start from the example</h2>
          <p className="muted">
            The runbook’s layout (homeserver VM + deploy host), to adjust to your addresses.
          </p>
          <button type="button" className="primary" onClick={async () => take(await example())}>
            Use the example
          </button>
        </section>
        <section className="card" aria-labelledby="start-file">
          <h2 id="start-file">Import a profile file</h2>
          <p className="muted">A YAML profile made earlier, or by `npm run lab`.</p>
          <button type="button" onClick={async () => take(await importFile())}>
            Choose a file…
          </button>
        </section>
        <section className="card" aria-labelledby="start-paste">
          <h2 id="start-paste">Paste a profile</h2>
          <label htmlFor={yamlId} className="sr-only">
            Profile YAML
          </label>
          <textarea
            id={yamlId}
            className="mono"
            rows={6}
            spellCheck={false}
            value={yaml}
            onChange={(e) => setYaml(e.target.value)}
          />
          <button
            type="button"
            disabled={yaml.trim() === ''}
            onClick={async () => take(await importYaml(yaml))}
          >
            Use this YAML
          </button>
        </section>
      </div>
      <p className="muted" data-testid="import-secrets-note">
        A profile from a file or pasted here brings no secrets, and never uses those stored for another
        profile, even one with the same name or hosts: you enter its passwords yourself, after trusting its
        hosts.
      </p>
      {error && <ErrorText error={error} />}
    </div>
  );
}

function HostTestRow({ host }: { host: HostRole }) {
  const test = useApp((s) => s.hostTests[host]);
  const run = useApp((s) => s.testHost);
  return (
    <li className="host-test" data-testid={`host-test-${host}`}>
      <div className="host-test-head">
        <strong>{HOST_TITLE[host]}</strong>
        <span className={`test-state test-${test.state}`} role="status">
          {test.state === 'idle' && 'Not tested'}
          {test.state === 'testing' && 'Connecting…'}
          {test.state === 'ok' && '✓ Connected'}
          {test.state === 'failed' && '✕ Failed'}
        </span>
        <button
          type="button"
          disabled={test.state === 'testing'}
          onClick={() => void run(host)}
          aria-label={`Test the ${HOST_TITLE[host].toLowerCase()}`}
        >
          {test.state === 'idle' ? 'Test' : 'Test again'}
        </button>
      </div>
      {test.state === 'ok' && (
        <p className="muted">
          {test.result.target}: {test.result.sentence}
        </p>
      )}
      {test.state === 'failed' && <ErrorText error={test.error} live={false} />}
      {test.state === 'failed' && test.error.code === 'HostKeyChanged' && (
        <HostKeyChanged host={host} error={test.error} />
      )}
    </li>
  );
}

function TestHosts({ onBack }: { onBack: () => void }) {
  const tests = useApp((s) => s.hostTests);
  const testHost = useApp((s) => s.testHost);
  const finish = useApp((s) => s.finishOnboarding);
  const allOk = HOST_ORDER.every((h) => tests[h].state === 'ok');
  return (
    <div className="stack">
      <p>
        Each host is reached over SSH. The first connection shows the host’s key fingerprint so you can
        compare it with the machine before trusting it.
      </p>
      <ul className="host-tests">
        {HOST_ORDER.map((h) => (
          <HostTestRow key={h} host={h} />
        ))}
      </ul>
      <details className="card">
        <summary>Passwords and passphrases</summary>
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
          Back to the profile
        </button>
      </div>
    </div>
  );
}

/** First run: a profile (example, file or pasted), then each host tested and its key trusted, then the dashboard. */
export function Onboarding() {
  const profiles = useApp((s) => s.profiles);
  const openDraft = useApp((s) => s.openProfileDraft);
  const [step, setStep] = useState<Step>({ name: 'start' });
  const [savedId, setSavedId] = useState<string | null>(null);
  const index = step.name === 'start' ? 1 : step.name === 'edit' ? 2 : 3;
  const [backError, setBackError] = useState<ErrorInfo | null>(null);

  async function back(): Promise<void> {
    const id = savedId ?? profiles?.selectedId;
    if (!id) return setStep({ name: 'start' });
    const r = await openDraft(id);
    if (r.ok && r.value.draft) setStep({ name: 'edit', draft: r.value.draft, issues: r.value.issues });
    else if (!r.ok) setBackError(r.error);
  }

  return (
    <main className="onboarding" aria-labelledby="onboarding-title">
      <header>
        <h1 id="onboarding-title">Set up Homeserver Tray</h1>
        <p className="muted" aria-live="polite">
          Step {index} of 3:{' '}
          {step.name === 'start'
            ? 'a profile'
            : step.name === 'edit'
              ? 'check the profile'
              : 'connect to the hosts'}
        </p>
      </header>
      {step.name === 'start' && (
        <Start onDraft={(draft, issues) => setStep({ name: 'edit', draft, issues })} />
      )}
      {step.name === 'edit' && (
        <ProfileEditor
          id={savedId}
          initial={step.draft}
          initialIssues={step.issues}
          saveLabel="Save and continue"
          onCancel={() => setStep({ name: 'start' })}
          onSaved={(id) => {
            setSavedId(id);
            setStep({ name: 'test' });
          }}
        />
      )}
      {step.name === 'test' && <TestHosts onBack={() => void back()} />}
      {backError && <ErrorText error={backError} />}
    </main>
  );
}
