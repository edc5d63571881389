import { randomBytes } from 'node:crypto';
import { shellQuote } from '../ssh/quote';
import { clip, withoutFinalStop } from './text';

/** One probe inside a host's status script; every profile value in `command` went through shellQuote. */
export interface ScriptSection {
  id: string;
  /**
   * A simple command (words only, no operators or assignments), run directly as a background job; or, with
   * `shell`, any bash text, run in a bash of its own so its syntax, `exit` or `cd` stay inside it.
   */
  command: string;
  shell?: boolean;
  /** The section is stopped after this long so one hung tool (a stuck docker daemon) cannot cost the others. */
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
 * The watchdog's schedule: when to stop which section (TERM at its timeout, KILL 2 s later). It runs
 * inside a one-pass loop: the script closing the pipe breaks out of it, to the cleanup after the loop.
 */
function watchdogSteps(sections: ScriptSection[]): string[] {
  const events = sections
    .flatMap((s, i) => [
      {
        at: s.timeoutSeconds,
        i,
        act: `: >"$__hst_t.${i}.k"; kill -TERM -- -\${__hst_p[${i}]} \${__hst_p[${i}]}`,
      },
      { at: s.timeoutSeconds + 2, i, act: `kill -KILL -- -\${__hst_p[${i}]} \${__hst_p[${i}]}` },
    ])
    .sort((a, b) => a.at - b.at || a.i - b.i);
  const steps: string[] = [];
  let now = 0;
  for (const e of events) {
    // `read -t` is the shell's own sleep: it ends early, with status 1, when the script closes the pipe.
    if (e.at > now) steps.push(`read -t ${e.at - now}; (($? > 128)) || break`);
    now = e.at;
    steps.push(e.act);
  }
  return steps;
}

/**
 * One bash script that runs every section concurrently and prints each one's frame — stdout, exit code
 * and stderr tail between marker lines — in section order. Each section is one background job (one
 * fork and the tool's own exec, nothing else) writing into its own files named by the marker; the
 * script then waits for them in order and prints the frames with builtins only, so frames never
 * interleave and the poll costs the slowest probe, not the sum. One watchdog for the whole script
 * (a shell reading a pipe with `read -t`, no process per section) stops a section's process group at
 * its timeout, and the section reports exit code 124 like `timeout` would. The watchdog also removes
 * the files once the script closes the pipe (by finishing, or by dying any way at all), so the host
 * answers without waiting for `rm`, and it ignores TERM and HUP so that stopping the script does not
 * stop the cleanup. Job control gives each
 * section its own process group, so a stopped section takes its children with it. Sections get stdin
 * from /dev/null, so none can read the sudo password. TZ=UTC because systemd prints timestamps in the
 * caller's zone by abbreviation, and only UTC is unambiguous.
 */
export function buildHostScript(sections: ScriptSection[], marker: string): string {
  if (!/^[A-Za-z0-9]{16,}$/.test(marker))
    throw new Error('The section marker must be 16+ letters and digits.');
  const ids = new Set<string>();
  for (const s of sections) {
    if (!SECTION_ID.test(s.id) || ids.has(s.id))
      throw new Error(`Section id "${s.id}" is invalid or repeated.`);
    if (!Number.isInteger(s.timeoutSeconds) || s.timeoutSeconds < 1)
      throw new Error(`Section ${s.id}: bad timeout.`);
    ids.add(s.id);
  }
  const lines = ['export LC_ALL=C TZ=UTC'];
  if (sections.length === 0) return `${lines.join('\n')}\n`;
  lines.push(
    // noclobber: the files are created with O_EXCL, so nothing planted under the (random) name is followed.
    'set -C',
    `__hst_t=\${TMPDIR:-/tmp}/${marker}`,
    // Until the watchdog runs, the files are the script's own to remove.
    `trap '[[ -v __hst_w ]] || rm -f -- "$__hst_t".*' EXIT`,
    "trap 'exit 129' HUP",
    "trap 'exit 143' TERM",
    // read -d '' stops at NUL bytes: each chunk is printed back with the NUL it stopped at.
    `__hst_cat() { local c; while IFS= read -r -d '' c; do printf '%s\\0' "$c"; done <"$1"; printf '%s' "$c"; }`,
  );
  // Job control only while the jobs start (each gets its own process group), and without stderr: it
  // would carry job control's "Done" notices; a section that cannot create its files says so below.
  lines.push('{ set -m');
  for (const [i, s] of sections.entries()) {
    const run = s.shell ? `bash --noprofile --norc -c ${shellQuote(s.command)}` : s.command;
    lines.push(`${run} </dev/null >"$__hst_t.${i}.o" 2>"$__hst_t.${i}.e" & __hst_p[${i}]=$!`);
  }
  lines.push(
    'set +m; } 2>/dev/null',
    `exec {__hst_wd}> >(exec >/dev/null 2>&1; trap '' TERM HUP`,
    'while :; do',
    ...watchdogSteps(sections),
    'read; break; done',
    'rm -f -- "$__hst_t".*',
    ')',
    '__hst_w=$!',
  );
  for (const [i, s] of sections.entries()) {
    lines.push(
      `wait \${__hst_p[${i}]}; __hst_rc=$?`,
      `((__hst_rc > 128)) && [[ -e $__hst_t.${i}.k ]] && __hst_rc=124`,
      `printf '%s\\n' '${marker} begin ${s.id}'`,
      `__hst_cat "$__hst_t.${i}.o"`,
      `if [[ -f $__hst_t.${i}.e ]]; then __hst_err=; IFS= read -r -d '' __hst_err <"$__hst_t.${i}.e"`,
      `else __hst_err="cannot create its output files in \${__hst_t%/*}"; fi`,
      `__hst_err=\${__hst_err%"\${__hst_err##*[!$'\\n']}"}`,
      `((\${#__hst_err} > ${STDERR_TAIL})) && __hst_err=\${__hst_err: -${STDERR_TAIL}}`,
      `printf '\\n%s\\n%s\\n%s\\n' "${marker} end ${s.id} $__hst_rc" "$__hst_err" '${marker} done ${s.id}'`,
    );
  }
  // Closing the pipe sends the watchdog to its cleanup; the script does not wait for it.
  lines.push('exec {__hst_wd}>&-');
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
  if (last) return `${clip(withoutFinalStop(last))} (exit code ${section.exitCode})`;
  return `it exited with code ${section.exitCode}`;
}
