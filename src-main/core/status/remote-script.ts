import { randomBytes } from 'node:crypto';
import { shellQuote } from '../ssh/quote';

/** One probe inside a host's status script; every profile value in `command` went through shellQuote. */
export interface ScriptSection {
  id: string;
  /**
   * A simple command (words only, no operators or assignments), run directly under `timeout`; or, with
   * `shell`, any bash text, run in a bash of its own so its syntax, `exit` or `cd` stay inside it.
   */
  command: string;
  shell?: boolean;
  /** The section is killed after this long so one hung tool (a stuck docker daemon) cannot cost the others. */
  timeoutSeconds: number;
}

export type SectionOutput =
  | { id: string; ran: true; exitCode: number; stdout: string; stderr: string }
  | { id: string; ran: false; reason: string };

const SECTION_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Stderr is only used for a one-sentence reason, so the script sends the tail only (characters). */
const STDERR_TAIL = 2000;

/**
 * A fresh marker per poll from the CSPRNG: output of the probed tools (container names, vars.yml, a backup
 * command) is not ours, and a marker it cannot know is what keeps it from faking a section boundary.
 */
export function newMarker(random: (n: number) => Buffer = randomBytes): string {
  return `HSTRAY${random(16).toString('hex')}`;
}

/**
 * One bash script that runs every section concurrently and prints each one's frame — stdout, exit code
 * and stderr tail between marker lines — in section order. Each section writes its whole frame into its
 * own pipe (a process substitution) and one `cat` reads the pipes one after the other, so frames never
 * interleave and the poll costs the slowest probe, not the sum. Sections get stdin from /dev/null, so
 * none can read the sudo password. TZ=UTC because systemd prints timestamps in the caller's zone by
 * abbreviation, and only UTC is unambiguous.
 */
export function buildHostScript(sections: ScriptSection[], marker: string): string {
  if (!/^[A-Za-z0-9]{16,}$/.test(marker))
    throw new Error('The section marker must be 16+ letters and digits.');
  const ids = new Set<string>();
  const lines = ['export LC_ALL=C TZ=UTC'];
  for (const [i, s] of sections.entries()) {
    if (!SECTION_ID.test(s.id) || ids.has(s.id))
      throw new Error(`Section id "${s.id}" is invalid or repeated.`);
    if (!Number.isInteger(s.timeoutSeconds) || s.timeoutSeconds < 1)
      throw new Error(`Section ${s.id}: bad timeout.`);
    ids.add(s.id);
    const run = s.shell ? `bash --noprofile --norc -c ${shellQuote(s.command)}` : s.command;
    lines.push(
      `exec {__hst_fd${i}}< <(`,
      `printf '%s\\n' '${marker} begin ${s.id}'`,
      `{ __hst_err=$(timeout -k 2 ${s.timeoutSeconds} ${run} </dev/null 2>&1 1>&3 3>&-); __hst_rc=$?; } 3>&1`,
      `((\${#__hst_err} > ${STDERR_TAIL})) && __hst_err=\${__hst_err: -${STDERR_TAIL}}`,
      `printf '\\n%s\\n%s\\n%s\\n' "${marker} end ${s.id} $__hst_rc" "$__hst_err" '${marker} done ${s.id}'`,
      ')',
    );
  }
  if (sections.length > 0) lines.push(`cat ${sections.map((_, i) => `/dev/fd/$__hst_fd${i}`).join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * Splits the combined stdout back into sections. A section whose frame is missing or broken (the
 * script was killed, the output buffer dropped its head) is reported as not run, never guessed at.
 */
export function splitHostOutput(stdout: string, marker: string, ids: string[]): Map<string, SectionOutput> {
  const out = new Map<string, SectionOutput>();
  let cursor = 0;
  for (const id of ids) {
    const begin = `${marker} begin ${id}\n`;
    const start = stdout.indexOf(begin, cursor);
    if (start < 0 || (start > 0 && stdout[start - 1] !== '\n')) {
      out.set(id, {
        id,
        ran: false,
        reason: 'its output is missing (the status script was stopped or its output cut short)',
      });
      continue;
    }
    const bodyStart = start + begin.length;
    const endRe = new RegExp(`\\n${marker} end ${id} (\\d{1,3})\\n`, 'g');
    endRe.lastIndex = bodyStart;
    const end = endRe.exec(stdout);
    const doneTag = `\n${marker} done ${id}\n`;
    const done = end ? stdout.indexOf(doneTag, end.index + end[0].length) : -1;
    if (!end || done < 0) {
      out.set(id, { id, ran: false, reason: 'the check was cut off before it finished' });
      cursor = bodyStart;
      continue;
    }
    out.set(id, {
      id,
      ran: true,
      exitCode: Number(end[1]),
      stdout: stdout.slice(bodyStart, end.index),
      stderr: stdout.slice(end.index + end[0].length, done),
    });
    cursor = done + doneTag.length;
  }
  return out;
}

/** The reason a ran-but-failed section gives, for an `unknown` detail: the last stderr line, or the exit code. */
export function sectionFailureReason(section: SectionOutput): string {
  if (!section.ran) return section.reason;
  if (section.exitCode === 124 || section.exitCode === 137)
    return 'it did not finish in time and was stopped';
  const last = section.stderr.trim().split('\n').filter(Boolean).pop()?.trim();
  if (last) return `${last.replace(/[.\s]+$/, '')} (exit code ${section.exitCode})`;
  return `it exited with code ${section.exitCode}`;
}
