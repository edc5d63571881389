import type { MuteDuration, MuteTarget } from '../../../src-main/ipc/contract';
import { useApp } from '../store/store';

const CHOICES: { duration: MuteDuration; label: string }[] = [
  { duration: '1h', label: 'for 1 hour' },
  { duration: '8h', label: 'for 8 hours' },
  { duration: 'recovered', label: 'until it recovers' },
];

/**
 * "Mute alerts" for a check, a unit or the server: 1 h, 8 h, or until it recovers (offered only while
 * something it covers fails). Muted, its checks keep their colour; the desktop and the off-host channels
 * are not told.
 */
export function MuteMenu({
  target,
  failing,
  what,
}: {
  target: MuteTarget;
  failing: boolean;
  /** Said to screen readers: "Mute alerts about <what>". */
  what: string;
}) {
  const mute = useApp((s) => s.mute);
  const choices = failing ? CHOICES : CHOICES.filter((c) => c.duration !== 'recovered');
  return (
    <details className="mute-menu">
      <summary className="disclosure mute-toggle" aria-label={`Mute alerts about ${what}`}>
        Mute alerts
      </summary>
      <div className="mute-choices">
        {choices.map((c) => (
          <button
            key={c.duration}
            type="button"
            onClick={(e) => {
              e.currentTarget.closest('details')?.removeAttribute('open');
              void mute(target, c.duration);
            }}
          >
            {c.label}
          </button>
        ))}
      </div>
    </details>
  );
}
