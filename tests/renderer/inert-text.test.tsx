import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { Words } from '../../src-renderer/src/components/words';
import { RunPanel } from '../../src-renderer/src/panels/run-panel';
import * as fx from './fixtures';
import { type Harness, harness, renderWith } from './render';

/**
 * What a hostile server sends the window stays text (issue 11, finding 5; the command line escapes the same
 * text in its printer, src-main/cli/printer.ts): React puts it into text nodes, so terminal sequences (ESC,
 * OSC 52, CR line overwrites), bidi overrides and markup are characters on the page — nothing parses or acts
 * on them, and no element comes from them.
 */
const HOSTILE = [
  'Unit matrix-tuwunel: active\r\u001b[2K\u001b[31mfailed\u001b[0m',
  'copy \u001b]52;c;aGVsbG8=\u0007 title \u001b]0;owned\u0007',
  'file \u202egnp.exe\u202c and \u2066isolated\u2069 \u009b2J',
  '<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>',
];

let h: Harness | undefined;
afterEach(() => {
  cleanup();
  h?.disconnect();
  h = undefined;
});

describe('hostile remote text in the window', () => {
  it('is shown as text in the run output, one line each, with nothing interpreted', async () => {
    h = harness({
      'runs.get': () => ({
        ...fx.run(),
        output: HOSTILE.map((text, seq) => ({
          seq,
          stepId: 'exec',
          stream: 'stdout' as const,
          text: `${text}\n`,
        })),
      }),
    });
    await h.store.getState().openRun('run-1');
    renderWith(h, <RunPanel />);
    const output = screen.getByRole('log', { name: 'Output' });
    const rows = [...output.querySelectorAll('.out-row')].map((row) => row.textContent);
    expect(rows).toEqual(HOSTILE);
    expect(output.querySelector('img, script')).toBeNull();
    expect((window as { pwned?: number }).pwned).toBeUndefined();
  });

  it('is shown as text in a check detail (Words), code spans and line breaks aside', () => {
    for (const text of HOSTILE) {
      const { container, unmount } = render(
        <p data-testid="detail">
          <Words text={text} />
        </p>,
      );
      const detail = within(container).getByTestId('detail');
      expect(detail.textContent).toBe(text);
      expect(detail.querySelector('img, script')).toBeNull();
      unmount();
    }
  });
});
