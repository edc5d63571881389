import { useMemo } from 'react';
import type { OutputChunk, PlayRecap, RunState, RunStep } from '../../../src-main/ipc/contract';
import { DiffView } from '../components/diff-view';
import { VirtualList } from '../components/virtual-list';
import { duration, ms } from '../lib/format';
import { useNow } from '../lib/use-now';
import { useApp } from '../store/store';

const STEP_TEXT: Record<RunStep['state'], { glyph: string; text: string }> = {
  pending: { glyph: '○', text: 'Pending' },
  running: { glyph: '◌', text: 'Running' },
  ok: { glyph: '✓', text: 'Done' },
  failed: { glyph: '✕', text: 'Failed' },
  skipped: { glyph: '–', text: 'Skipped' },
};

const RUN_TEXT: Record<RunState['state'], string> = {
  running: 'Running',
  ok: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const OUTPUT_ROW = 18;

interface OutputLine {
  text: string;
  stream: OutputChunk['stream'];
}

/** Chunks split anywhere; lines are what a person reads. */
export function chunksToLines(chunks: readonly OutputChunk[]): OutputLine[] {
  const lines: OutputLine[] = [];
  let open: OutputLine | null = null;
  for (const chunk of chunks) {
    const parts = chunk.text.split('\n');
    parts.forEach((part, i) => {
      if (i === 0 && open) open.text += part;
      else {
        open = { text: part, stream: chunk.stream };
        lines.push(open);
      }
    });
    if (chunk.text.endsWith('\n')) {
      lines.pop();
      open = null;
    }
  }
  return lines;
}

function StepRow({ step, now }: { step: RunStep; now: number }) {
  const s = STEP_TEXT[step.state];
  const took =
    step.startedAt !== null
      ? duration((step.endedAt === null ? now : ms(step.endedAt)) - ms(step.startedAt))
      : null;
  return (
    <li className={`step step-${step.state}`}>
      <div className="step-line">
        <span className="step-glyph" aria-hidden="true">
          {s.glyph}
        </span>
        <span className="step-title">{step.title}</span>
        <span className="step-state">{s.text}</span>
        {step.phase === 'finally' && <span className="tag">always runs</span>}
        {step.attempts > 1 && <span className="tag">{step.attempts} attempts</span>}
        {step.exitCode !== null && step.exitCode !== 0 && <span className="tag">exit {step.exitCode}</span>}
        {took && <span className="muted">{took}</span>}
      </div>
      {step.summary && <p className="step-summary">{step.summary}</p>}
      {step.error && (
        <p className="step-summary step-error">
          {step.error.message} {step.error.nextStep}
        </p>
      )}
    </li>
  );
}

function RecapTable({ recap }: { recap: PlayRecap }) {
  const cols = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'] as const;
  return (
    <div className="recap">
      <table>
        <caption>PLAY RECAP</caption>
        <thead>
          <tr>
            <th scope="col">Host</th>
            {cols.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {recap.rows.map((row) => (
            <tr key={row.host}>
              <th scope="row">{row.host}</th>
              {cols.map((c) => (
                <td
                  key={c}
                  className={(c === 'failed' || c === 'unreachable') && row[c] > 0 ? 'bad' : undefined}
                >
                  {row[c]}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {recap.firstFailedTask && (
        <p>
          First failed task: <code>{recap.firstFailedTask}</code>
        </p>
      )}
      {recap.error && (
        <p>
          Ansible stopped with: <code>{recap.error}</code>
        </p>
      )}
    </div>
  );
}

/** A run as it happens: steps, live (redacted) output, then the outcome in a sentence. */
export function RunPanel() {
  const runId = useApp((s) => s.activeRunId);
  const run = useApp((s) => (s.activeRunId ? s.runs[s.activeRunId] : undefined));
  const chunks = useApp((s) => (s.activeRunId ? s.outputs[s.activeRunId] : undefined));
  const close = useApp((s) => s.closeRun);
  const cancel = useApp((s) => s.cancelRun);
  const copy = useApp((s) => s.copyRunOutput);
  const followUp = useApp((s) => s.followUp);
  const lines = useMemo(() => chunksToLines(chunks ?? []), [chunks]);
  const now = useNow(1000);
  if (!runId) return null;

  return (
    <aside className="run-panel" aria-labelledby="run-title">
      <header className="run-header">
        <h2 id="run-title">{run?.title ?? 'Run'}</h2>
        {run && (
          <span className={`run-state run-${run.state}`} data-testid="run-state">
            {RUN_TEXT[run.state]}
          </span>
        )}
        <button type="button" className="icon-button" aria-label="Close the run panel" onClick={close}>
          ×
        </button>
      </header>
      {!run && <p role="status">Loading the run…</p>}
      {run && (
        <>
          <ol className="steps" aria-label="Steps">
            {run.steps.map((s) => (
              <StepRow key={s.id} step={s} now={now} />
            ))}
          </ol>
          {run.diff && <DiffView diff={run.diff} />}
          {lines.length === 0 ? (
            // Many steps print nothing (systemctl restart, a health check): an empty box reads like a failure.
            <p className="no-output" data-testid="no-output">
              {run.state === 'running' ? 'No output yet.' : 'No output.'}
            </p>
          ) : (
            <VirtualList
              className="output"
              label="Output"
              count={lines.length}
              rowHeight={OUTPUT_ROW}
              follow={run.state === 'running'}
              renderRow={(i) => {
                const line = lines[i];
                return <div className={`out-row out-${line?.stream ?? 'stdout'}`}>{line?.text ?? ''}</div>;
              }}
            />
          )}
          {run.sentence && (
            <div className={`outcome outcome-${run.state}`} role="status" data-testid="run-outcome">
              <p>{run.sentence}</p>
              {run.nextStep && <p className="error-next">{run.nextStep}</p>}
            </div>
          )}
          {run.recap && <RecapTable recap={run.recap} />}
          <div className="button-row">
            {run.state === 'running' && (
              <button type="button" className="danger-button" onClick={() => void cancel(run.runId)}>
                Cancel run
              </button>
            )}
            {run.state !== 'running' &&
              run.followUps.map((f) => (
                <button
                  key={f.kind === 'action' ? f.actionId : f.kind}
                  type="button"
                  className="primary"
                  onClick={() => void followUp(run.runId, f)}
                >
                  {f.label}
                </button>
              ))}
            <button type="button" onClick={() => void copy(run.runId)} disabled={lines.length === 0}>
              Copy output
            </button>
          </div>
        </>
      )}
    </aside>
  );
}
