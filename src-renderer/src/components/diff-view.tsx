import type { FederationDiff } from '../../../src-main/ipc/contract';
import { keyed } from '../lib/keyed';

const OP_TEXT = { ' ': 'unchanged', '+': 'added', '-': 'removed' } as const;

/** The federation allowlist change, with +/- signs (not only colour) and words for screen readers. */
export function DiffView({ diff }: { diff: FederationDiff }) {
  return (
    <figure className="diff">
      <figcaption>
        Change to <code>{diff.file}</code>
      </figcaption>
      <pre>
        {keyed(diff.lines, (l) => `${l.op}${l.text}`).map(({ key, item: l }) => (
          <span key={key} className={`diff-line diff-${OP_TEXT[l.op]}`}>
            <span className="sr-only">{OP_TEXT[l.op]}: </span>
            <span aria-hidden="true">{l.op} </span>
            {l.text}
            {'\n'}
          </span>
        ))}
      </pre>
    </figure>
  );
}
