import type { Plan } from '../../../src-main/ipc/contract';

/** What people using the server notice, in their words: the catalog's danger levels as a tag. */
export const DANGER_TEXT: Record<Plan['danger'], { glyph: string; text: string }> = {
  safe: { glyph: '○', text: 'No interruption' },
  disruptive: { glyph: '◐', text: 'Brief interruption' },
  outage: { glyph: '●', text: 'Matrix goes down' },
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
