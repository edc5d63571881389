/**
 * Reads ansible-playbook's default (stdout callback "default") output: the PLAY RECAP per host, the
 * first task that failed for real (not `...ignoring`) and a top-level `ERROR!` (e.g. a vars.yml that
 * is not YAML, reported before any task runs). Fed incrementally while the playbook streams.
 */

export interface AnsibleHostRecap {
  host: string;
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export interface AnsibleFailure {
  kind: 'failed' | 'unreachable';
  play: string | null;
  task: string | null;
  host: string;
  item: string | null;
  message: string;
}

export interface AnsibleSummary {
  /** One entry per host of the PLAY RECAP; empty when the playbook stopped before it. */
  recap: AnsibleHostRecap[];
  /** The first failed or unreachable task that was not ignored. */
  firstFailure: AnsibleFailure | null;
  /** A top-level `ERROR!` (Ansible ≤ 2.18) or `[ERROR]:` (2.19+) message, condensed to one line. */
  error: string | null;
  /** A recap exists and no host failed or was unreachable, and there was no top-level error. */
  ok: boolean;
}

/** Terminal colour sequences (ESC [ … letter), should a tool force colours through a pipe. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');
const HEADER = /^(PLAY|TASK|RUNNING HANDLER|PLAY RECAP)\b(?: \[(.*)\])? \*+\s*$/;
const FAILURE = /^(fatal|failed): \[([^\]]+)\](?::| \(item=(.*)\)) ?(?:(FAILED|UNREACHABLE)! )?=> (.*)$/;
const RECAP_LINE = /^(\S+)\s+:\s+(.*)$/;
const ERROR_LINE = /^(?:ERROR!|\[ERROR\]:)\s*(.*)$/;

interface PendingFailure {
  failure: AnsibleFailure;
  json: string;
  complete: boolean;
}

export class AnsibleOutputParser {
  private buffer = '';
  private play: string | null = null;
  private task: string | null = null;
  private inRecap = false;
  private pending: PendingFailure | null = null;
  private errorLines: string[] | null = null;
  private errorDone = false;
  private readonly recap: AnsibleHostRecap[] = [];
  private firstFailure: AnsibleFailure | null = null;

  push(chunk: string): void {
    this.buffer += chunk;
    let nl = this.buffer.indexOf('\n');
    while (nl >= 0) {
      this.line(this.buffer.slice(0, nl).replace(/\r$/, ''));
      this.buffer = this.buffer.slice(nl + 1);
      nl = this.buffer.indexOf('\n');
    }
  }

  finish(): AnsibleSummary {
    if (this.buffer) this.line(this.buffer);
    this.buffer = '';
    this.commitPending();
    const error = this.errorLines ? condenseError(this.errorLines) : null;
    const ok =
      error === null &&
      this.recap.length > 0 &&
      this.recap.every((h) => h.failed === 0 && h.unreachable === 0);
    return { recap: [...this.recap], firstFailure: this.firstFailure, error, ok };
  }

  private line(raw: string): void {
    const line = raw.replace(ANSI, '');
    if (this.pending && !this.pending.complete) {
      if (HEADER.test(line) || line === '') {
        this.pending.complete = true;
      } else {
        this.pending.json += `\n${line}`;
        this.pending.complete = isJson(this.pending.json);
        return;
      }
    }
    if (this.pending && line.trim() === '...ignoring') {
      this.pending = null;
      return;
    }
    if (line.trim() !== '') this.commitPending();

    if (this.errorLines && !this.errorDone) {
      if (HEADER.test(line) || this.errorLines.length >= 40) {
        this.errorDone = true;
      } else {
        this.errorLines.push(line);
        return;
      }
    }

    const header = HEADER.exec(line);
    if (header) {
      const [, kind, name] = header;
      this.inRecap = kind === 'PLAY RECAP';
      if (kind === 'PLAY') {
        this.play = name ?? null;
        this.task = null;
      } else if (kind === 'TASK' || kind === 'RUNNING HANDLER') {
        this.task = name ?? null;
      }
      return;
    }
    if (this.inRecap) {
      const m = RECAP_LINE.exec(line);
      if (m) this.recap.push(parseRecap(m[1] as string, m[2] as string));
      return;
    }
    const error = ERROR_LINE.exec(line);
    if (error && this.errorLines === null) {
      this.errorLines = [error[1] ?? ''];
      return;
    }
    const failure = FAILURE.exec(line);
    if (failure) {
      const [, , host, item, what, json] = failure;
      this.pending = {
        failure: {
          kind: what === 'UNREACHABLE' ? 'unreachable' : 'failed',
          play: this.play,
          task: this.task,
          host: host as string,
          item: item ?? null,
          message: '',
        },
        json: json ?? '',
        complete: isJson(json ?? ''),
      };
    }
  }

  private commitPending(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (this.firstFailure) return;
    p.failure.message = failureMessage(p.json);
    this.firstFailure = p.failure;
  }
}

/** Parses a whole output at once. */
export function parseAnsibleOutput(text: string): AnsibleSummary {
  const parser = new AnsibleOutputParser();
  parser.push(text);
  return parser.finish();
}

/** One sentence for a person: what Ansible says went wrong, or null when the run was clean. */
export function describeAnsibleProblem(summary: AnsibleSummary): string | null {
  const f = summary.firstFailure;
  if (f) {
    const where = `task "${f.task ?? '(unnamed)'}" on ${f.host}${f.item ? ` (item ${f.item})` : ''}`;
    return f.kind === 'unreachable'
      ? `Ansible could not reach ${f.host} in ${where}: ${f.message}`
      : `Ansible failed at ${where}: ${f.message}`;
  }
  if (summary.error) return `Ansible stopped with an error: ${summary.error}`;
  const bad = summary.recap.filter((h) => h.failed > 0 || h.unreachable > 0);
  if (bad.length > 0) {
    return `Ansible reports ${bad.map((h) => `${h.host} failed=${h.failed} unreachable=${h.unreachable}`).join(', ')}.`;
  }
  if (summary.recap.length === 0) return 'Ansible ended without a PLAY RECAP.';
  return null;
}

function parseRecap(host: string, rest: string): AnsibleHostRecap {
  const counts: Record<string, number> = {};
  for (const m of rest.matchAll(/(\w+)=(\d+)/g)) counts[m[1] as string] = Number(m[2]);
  return {
    host,
    ok: counts.ok ?? 0,
    changed: counts.changed ?? 0,
    unreachable: counts.unreachable ?? 0,
    failed: counts.failed ?? 0,
    skipped: counts.skipped ?? 0,
    rescued: counts.rescued ?? 0,
    ignored: counts.ignored ?? 0,
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function failureMessage(json: string): string {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return oneLine(json) || 'no details';
  }
  if (data === null || typeof data !== 'object') return oneLine(String(data));
  const d = data as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.msg === 'string' && d.msg) parts.push(oneLine(d.msg));
  const stderr = typeof d.stderr === 'string' ? d.stderr.trim() : '';
  if (stderr) parts.push(oneLine(stderr.split('\n').slice(-2).join(' / ')));
  if (parts.length === 0 && typeof d.rc === 'number') parts.push(`exit code ${d.rc}`);
  return parts.join(': ') || 'no details';
}

/** The ERROR! block is a message, a blank line, the location, then the offending line with a caret. */
function condenseError(lines: string[]): string {
  const text: string[] = [];
  let location: string | null = null;
  for (const line of lines) {
    const where = /^The error appears to be in '([^']+)': line (\d+), column (\d+)/.exec(line);
    if (where) {
      location = `${where[1]}, line ${where[2]}, column ${where[3]}`;
      break;
    }
    if (/^The offending line appears to be:/.test(line)) break;
    if (line.trim() && text.length < 8) text.push(line.trim());
  }
  const message = text.join(' ').replace(/\s+/g, ' ').trim();
  return location ? `${message} (${location})` : message;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 500);
}
