import { describeError } from '../errors';

/**
 * An act on a secret or on trust (a token copied or shown, an invite issued or revoked, a secret stored or
 * deleted, a host key trusted or forgotten, the admin signed in or out), as the audit trail records it: what,
 * on what, and how it went. Never a secret value: params name kinds, hosts, hints and fingerprints only.
 */
export interface Act {
  action: string;
  params: Record<string, string | number | boolean | null>;
  outcome: 'ok' | 'failed' | 'refused';
  sentence: string;
  durationMs: number;
}

/** Where acts go: the audit trail of the profile (core/runbook/audit.ts). */
export interface ActLog {
  record(act: Act): Promise<void>;
}

/**
 * Runs `work` and records it, done or failed; the work's own outcome is never changed by the recording (a
 * full disk must not turn a copied token into a failure), and its error is passed on as it was.
 */
export async function recordAct<T>(
  log: ActLog | undefined,
  act: {
    action: string;
    params: Act['params'];
    done: (result: T) => string;
    /** The params learned from the result (e.g. the new invite's hint). */
    learned?: (result: T) => Act['params'];
  },
  work: () => Promise<T>,
): Promise<T> {
  const started = Date.now();
  const write = (outcome: Act['outcome'], sentence: string, params: Act['params']) =>
    log
      ?.record({ action: act.action, params, outcome, sentence, durationMs: Date.now() - started })
      .catch(() => {});
  try {
    const result = await work();
    await write('ok', act.done(result), { ...act.params, ...act.learned?.(result) });
    return result;
  } catch (e) {
    const described = describeError(e);
    await write(/Refused$/.test(described.code) ? 'refused' : 'failed', described.message, act.params);
    throw e;
  }
}
