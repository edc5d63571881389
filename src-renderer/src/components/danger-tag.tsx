import type { Plan } from '../../../src-main/ipc/contract';

const DANGER_TEXT: Record<Plan['danger'], { glyph: string; text: string }> = {
  safe: { glyph: '○', text: 'Safe' },
  disruptive: { glyph: '◐', text: 'Disruptive' },
  outage: { glyph: '●', text: 'Outage' },
};

export function DangerTag({ danger }: { danger: Plan['danger'] }) {
  const d = DANGER_TEXT[danger];
  return (
    <span className={`danger danger-${danger}`}>
      <span aria-hidden="true">{d.glyph} </span>
      {d.text}
    </span>
  );
}
