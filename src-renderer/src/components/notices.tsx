import { useEffect } from 'react';
import { useApp } from '../store/store';

const INFO_MS = 6000;

/** Short-lived messages at the corner: errors stay until dismissed, information fades. */
export function Notices() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismissNotice);

  useEffect(() => {
    const timers = notices
      .filter((n) => n.kind === 'info')
      .map((n) => setTimeout(() => dismiss(n.id), INFO_MS));
    return () => {
      for (const t of timers) clearTimeout(t);
    };
  }, [notices, dismiss]);

  return (
    <section className="notices" aria-label="Messages" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'}>
          <div>
            <p>{n.message}</p>
            {n.nextStep && <p className="error-next">{n.nextStep}</p>}
          </div>
          <button
            type="button"
            className="icon-button"
            aria-label="Dismiss message"
            onClick={() => dismiss(n.id)}
          >
            ×
          </button>
        </div>
      ))}
    </section>
  );
}
