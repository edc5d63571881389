import { useState } from 'react';
import type { ErrorInfo, HostRole, ValueOf } from '../../../src-main/ipc/contract';
import { HOST_TITLE } from '../lib/format';
import { useApp } from '../store/store';
import { Dialog } from './dialog';
import { ErrorText } from './error-text';

/**
 * A changed host key is refused outright. The only way on is to drop the old pin on purpose, after checking
 * the new fingerprint on the machine itself; the next connection then asks to trust the new key as usual.
 */
export function HostKeyChanged({ host, error }: { host: HostRole; error: ErrorInfo }) {
  const forget = useApp((s) => s.forgetHostKey);
  const [asking, setAsking] = useState(false);
  const [result, setResult] = useState<ValueOf<'hostkey.forget'> | null>(null);
  const [failure, setFailure] = useState<ErrorInfo | null>(null);
  const where = HOST_TITLE[host].toLowerCase();
  return (
    <div className="host-key-changed">
      {error.hostKey?.expected && (
        <dl className="facts">
          <dt>Trusted</dt>
          <dd>
            {error.hostKey.expected.map((e) => (
              <code key={e} className="fingerprint">
                {e}
              </code>
            ))}
          </dd>
          <dt>Presented now</dt>
          <dd>
            <code className="fingerprint">
              {error.hostKey.keyType} {error.hostKey.fingerprint}
            </code>
          </dd>
        </dl>
      )}
      {!result && (
        <button type="button" className="danger-button" onClick={() => setAsking(true)}>
          Forget the old key…
        </button>
      )}
      {result && (
        <div role="status">
          <p>
            {result.removed > 0
              ? `The old key of the ${where} was removed from the app’s own list.`
              : `The app’s own list held no key for the ${where}.`}
          </p>
          {result.stillPinnedBy.length > 0 && (
            <>
              <p>These entries still pin the old key; remove them yourself:</p>
              <ul>
                {result.stillPinnedBy.map((p) => (
                  <li key={`${p.file}:${p.line}`}>
                    <code>
                      {p.file}:{p.line}
                    </code>{' '}
                    ({p.keyType} {p.fingerprint}), e.g. with{' '}
                    <code>ssh-keygen -R &lt;host&gt; -f {p.file}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      {failure && <ErrorText error={failure} />}
      {asking && (
        <Dialog title={`Forget the old host key of the ${where}?`} onCancel={() => setAsking(false)} alert>
          <p className="effect">
            A changed key can mean someone is intercepting the connection. Only go on if the machine was
            reinstalled or its keys were regenerated, and you have read the new fingerprint on the machine
            itself.
          </p>
          <div className="button-row">
            <button
              type="button"
              className="danger-button"
              onClick={async () => {
                setAsking(false);
                const r = await forget(host);
                if (r.ok) setResult(r.value);
                else setFailure(r.error);
              }}
            >
              Forget the old key
            </button>
            <button type="button" onClick={() => setAsking(false)} data-autofocus>
              Cancel
            </button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
