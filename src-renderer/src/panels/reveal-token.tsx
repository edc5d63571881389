import { useEffect, useState } from 'react';
import type { ErrorInfo } from '../../../src-main/ipc/contract';
import { Countdown } from '../components/countdown';
import { ErrorText } from '../components/error-text';
import { ms } from '../lib/format';
import { useApi } from '../store/store';

export const REVEAL_MS = 10_000;

/**
 * The one place the registration token exists in the window: this component's state, for at most 10 s.
 * It never goes to the store, the title, the console or an error text. It also goes when the main process
 * says the time is up, when the window is hidden, and when the component leaves the screen.
 */
export function RevealToken() {
  const api = useApi();
  const [shown, setShown] = useState<{ token: string; hideAt: string } | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [asking, setAsking] = useState(false);

  useEffect(() => api.onTokenRevealExpired(() => setShown(null)), [api]);

  useEffect(() => {
    if (!shown) return;
    const t = setTimeout(() => setShown(null), Math.max(0, ms(shown.hideAt) - Date.now()));
    const hide = () => document.visibilityState === 'hidden' && setShown(null);
    document.addEventListener('visibilitychange', hide);
    return () => {
      clearTimeout(t);
      document.removeEventListener('visibilitychange', hide);
    };
  }, [shown]);

  async function reveal(): Promise<void> {
    setAsking(true);
    setError(null);
    try {
      const r = await api.token.reveal();
      if (r.ok) {
        const hideAt = Math.min(ms(r.value.hideAt), Date.now() + REVEAL_MS);
        setShown({ token: r.value.token, hideAt: new Date(hideAt).toISOString() });
      } else setError(r.error);
    } catch {
      setError({
        code: 'NoAnswer',
        message: 'The app’s main process did not answer.',
        nextStep: 'Try again; if it keeps happening, restart Homeserver Tray.',
      });
    } finally {
      setAsking(false);
    }
  }

  return (
    <div className="reveal">
      {shown ? (
        <>
          <output className="token-value" aria-label="Registration token" data-testid="token-value">
            {shown.token}
          </output>
          <Countdown until={shown.hideAt} prefix="Hides in" />
          <button type="button" onClick={() => setShown(null)}>
            Hide now
          </button>
        </>
      ) : (
        <button type="button" onClick={() => void reveal()} disabled={asking}>
          Reveal for 10 s
        </button>
      )}
      {error && <ErrorText error={error} />}
    </div>
  );
}
