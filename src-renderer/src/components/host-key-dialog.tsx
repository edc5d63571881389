import { HOST_TITLE } from '../lib/format';
import { useApp } from '../store/store';
import { Dialog } from './dialog';

/** Trust-on-first-use, with the facts needed to compare the key on the machine itself. */
export function HostKeyDialog() {
  const prompt = useApp((s) => s.hostKeyPrompt);
  const trust = useApp((s) => s.trustHostKey);
  const dismiss = useApp((s) => s.dismissHostKey);
  if (!prompt) return null;
  const { key } = prompt;
  const where = `${key.address}${key.port && key.port !== 22 ? `:${key.port}` : ''}`;
  const keyFile = `/etc/ssh/ssh_host_${key.keyType.replace(/^ssh-/, '').replace(/^ecdsa-.*/, 'ecdsa')}_key.pub`;
  return (
    <Dialog title={`Unknown host key for the ${HOST_TITLE[key.host].toLowerCase()}`} onCancel={dismiss} alert>
      <p>
        {HOST_TITLE[key.host]} ({where}) presented a host key this app has not seen before. Nothing has been
        sent to it yet.
      </p>
      <dl className="facts">
        <dt>Key type</dt>
        <dd>
          <code>{key.keyType}</code>
        </dd>
        <dt>Fingerprint</dt>
        <dd>
          <code className="fingerprint" data-testid="hostkey-fingerprint">
            {key.fingerprint}
          </code>
        </dd>
      </dl>
      <p className="hint">
        Logged in on that machine itself, <code>ssh-keygen -lf {keyFile}</code> must print the same
        fingerprint.
      </p>
      <div className="button-row">
        <button type="button" onClick={() => void trust(false)}>
          Trust once
        </button>
        <button type="button" onClick={() => void trust(true)}>
          Trust always
        </button>
        <button type="button" className="primary-quiet" onClick={dismiss} data-autofocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
