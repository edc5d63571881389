import type { Level } from '../../../src-main/ipc/contract';
import { LEVEL_GLYPH, LEVEL_TEXT } from '../lib/format';

/** Colour, a glyph and words: the level reads the same for everyone. */
export function LevelBadge({ level, text }: { level: Level; text?: string }) {
  return (
    <span className={`badge badge-${level}`} data-level={level}>
      <span className="badge-glyph" aria-hidden="true">
        {LEVEL_GLYPH[level]}
      </span>
      {text ?? LEVEL_TEXT[level]}
    </span>
  );
}
