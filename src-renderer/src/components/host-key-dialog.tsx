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
        The app is connecting to the {HOST_TITLE[key.host].toLowerCase()} ({where}) for the first time. To be
        sure it reached your machine and not another one posing as it, compare this fingerprint with the one
        the machine itself shows. Nothing has been sent to it yet.
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
        On the machine itself, <code>ssh-keygen -lf {keyFile}</code> prints its fingerprint. Trust it only if
        the two are the same.
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
