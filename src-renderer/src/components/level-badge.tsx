import type { Level } from '../../../src-main/ipc/contract';
import { LEVEL_GLYPH, LEVEL_TEXT } from '../lib/format';

/**
 * Colour, a glyph and words: the level reads the same for everyone. `compact` keeps only the glyph on
 * screen (where space is short, as in the sidebar); the words stay for screen readers and the tooltip.
 */
export function LevelBadge({
  level,
  text,
  compact = false,
}: {
  level: Level;
  text?: string;
  compact?: boolean;
}) {
  const words = text ?? LEVEL_TEXT[level];
  return (
    <span
      className={compact ? `badge badge-${level} badge-compact` : `badge badge-${level}`}
      data-level={level}
      title={compact ? words : undefined}
    >
      <span className="badge-glyph" aria-hidden="true">
        {LEVEL_GLYPH[level]}
      </span>
      {compact ? <span className="sr-only">{words}</span> : words}
    </span>
  );
}
