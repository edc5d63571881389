import type { ErrorInfo } from '../../../src-main/ipc/contract';

/** An error as the user should read it: what happened, then what to do. */
export function ErrorText({ error, live = true }: { error: ErrorInfo; live?: boolean }) {
  return (
    <div className="error-text" role={live ? 'alert' : undefined}>
      <p className="error-message">{error.message}</p>
      <p className="error-next">{error.nextStep}</p>
    </div>
  );
}
