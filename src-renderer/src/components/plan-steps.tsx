import type { PlannedStep } from '../../../src-main/ipc/contract';
import { HOST_TITLE } from '../lib/format';

const KIND_TEXT: Record<PlannedStep['kind'], string> = {
  remote: 'remote',
  'http-wait': 'from this computer',
  'admin-room': 'in the admin room',
  'admin-api': 'through the admin API',
  local: 'on this computer',
};

function stepWhere(step: PlannedStep): string {
  const parts = [step.host ? `on the ${HOST_TITLE[step.host].toLowerCase()}` : KIND_TEXT[step.kind]];
  if (step.sudo) parts.push('with sudo');
  if (step.stdin) parts.push(`stdin: ${step.stdin}`);
  if (step.timeoutMs !== null) parts.push(`stopped after ${Math.round(step.timeoutMs / 1000)} s`);
  return parts.join(', ');
}

/** A plan's steps as they will run, each with its exact command (secrets masked by the core). */
export function PlanSteps({ steps }: { steps: PlannedStep[] }) {
  return (
    <ol className="dry-run-steps">
      {steps.map((step) => (
        <li key={step.id}>
          <div className="step-head">
            <strong>{step.title}</strong> <span className="muted">{stepWhere(step)}</span>
            {step.phase === 'finally' && <span className="tag">always runs</span>}
          </div>
          <pre className="command">
            <code>{step.command}</code>
          </pre>
        </li>
      ))}
    </ol>
  );
}
